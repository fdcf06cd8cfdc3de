// The Markdown subset of the narrative sections, for the fake host and the offline preview:
// paragraphs, "- " and "1. " lists (one nested level), *emphasis* and **strong**. Everything
// else is text; raw HTML is text. The app's real renderer is Rust's (model::markdown); this one
// follows the same rules for the browser tests.

import type { Block } from './bindings/Block';
import type { Span } from './bindings/Span';

export function spans(text: string): Span[] {
  const out: Span[] = [];
  const re = /(\*\*[^*]+\*\*|\*[^*]+\*)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > last) out.push({ text: text.slice(last, m.index), emphasis: false, strong: false });
    const strong = m[0].startsWith('**');
    out.push({ text: m[0].slice(strong ? 2 : 1, strong ? -2 : -1), emphasis: !strong, strong });
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), emphasis: false, strong: false });
  return out.filter((s) => s.text.length > 0);
}

export function parseMarkdown(md: string): Block[] {
  const blocks: Block[] = [];
  for (const chunk of md.split(/\n\s*\n/)) {
    const lines = chunk.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const item = /^(\s*)(-|\d+\.)\s+(.*)$/;
    if (item.test(lines[0])) {
      const first = lines[0].match(item)!;
      const numbered = first[2] !== '-';
      const list: { start: number | null; items: any[] } = { start: numbered ? Number(first[2].slice(0, -1)) : null, items: [] };
      for (const line of lines) {
        const m = line.match(item);
        if (m && m[1].length >= 2 && list.items.length > 0) {
          const parent = list.items[list.items.length - 1];
          const childNumbered = m[2] !== '-';
          parent.children ??= { start: childNumbered ? Number(m[2].slice(0, -1)) : null, items: [] };
          parent.children.items.push({ spans: spans(m[3].trim()) });
        } else if (m) {
          list.items.push({ spans: spans(m[3].trim()) });
        } else if (list.items.length > 0) {
          const last = list.items[list.items.length - 1];
          last.spans.push(...spans(' ' + line.trim()));
        }
      }
      blocks.push({ kind: 'list', ...list });
    } else {
      blocks.push({ kind: 'paragraph', spans: spans(lines.map((l) => l.trim()).join(' ').replace(/^#+\s*/, '')) });
    }
  }
  return blocks;
}
