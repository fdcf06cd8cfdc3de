import { describe, expect, it } from 'vitest';
import { parseMarkdown, spans } from '../markdown';

describe('the Markdown subset', () => {
  it('parses paragraphs and lists', () => {
    const b = parseMarkdown('Intro.\n\n- one\n- two\n  - nested\n\n1. first\n2. second');
    expect(b.map((x) => x.kind)).toEqual(['paragraph', 'list', 'list']);
    const list = b[1] as any;
    expect(list.items).toHaveLength(2);
    expect(list.items[1].children.items[0].spans[0].text).toBe('nested');
    expect((b[2] as any).start).toBe(1);
  });
  it('keeps raw HTML as text', () => {
    const b = parseMarkdown('<script>alert(1)</script>') as any;
    expect(b[0].spans[0].text).toBe('<script>alert(1)</script>');
  });
  it('marks emphasis and strong', () => {
    expect(spans('a *b* **c**')).toEqual([
      { text: 'a ', emphasis: false, strong: false },
      { text: 'b', emphasis: true, strong: false },
      { text: ' ', emphasis: false, strong: false },
      { text: 'c', emphasis: false, strong: true },
    ]);
  });
});
