import { describe, expect, it } from 'vitest';
import { bulletItems, bulletMarkdown, cityFilter, formatNumber, moveItem, parseFactInput, parseYearInput, relativeTime } from '../util';

describe('bullet lists as list editors', () => {
  it('reads a plain bullet list and writes it back', () => {
    expect(bulletItems('- Adult illiteracy\n- Childcare')).toEqual(['Adult illiteracy', 'Childcare']);
    expect(bulletItems('Intro.\n\n- a')).toBeNull();
    expect(bulletItems(null)).toEqual([]);
    expect(bulletMarkdown(['Adult illiteracy', ' ', 'Child\ncare'])).toBe('- Adult illiteracy\n- Child care');
    expect(bulletMarkdown([])).toBeNull();
  });
});

describe('relativeTime', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it.each([
    [null, 'never'],
    ['2026-11-23T11:59:50Z', 'just now'],
    ['2026-11-23T11:55:00Z', '5 minutes ago'],
    ['2026-11-23T11:59:00Z', '1 minute ago'],
    ['2026-11-23T09:00:00Z', '3 hours ago'],
    ['2026-11-21T12:00:00Z', '2 days ago'],
    ['not a date', 'never'],
  ])('%s → %s', (iso, want) => expect(relativeTime(iso, now)).toBe(want));
});

describe('moveItem', () => {
  it('moves up, down and clamps', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 1, 99)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b'], 5, 0)).toEqual(['a', 'b']);
  });
  it('does not change its input', () => {
    const list = ['a', 'b'];
    moveItem(list, 0, 1);
    expect(list).toEqual(['a', 'b']);
  });
});

describe('fact inputs', () => {
  it.each([
    ['80,006', 80006],
    ['3499.8', 3499.8],
    ['n/a', 'n/a'],
    ['N/A', 'n/a'],
    ['', 'n/a'],
    ['lots', null],
    ['-5', null],
  ])('value %s', (text, want) => expect(parseFactInput(text)).toBe(want));
  it.each([
    ['2015', 2015],
    ['n/a', 'n/a'],
    ['15', null],
    ['3000', null],
    ['20x5', null],
  ])('year %s', (text, want) => expect(parseYearInput(text)).toBe(want));
  it('formats numbers like the booklets', () => {
    expect(formatNumber(21705000)).toBe('21,705,000');
    expect(formatNumber(3499.8)).toBe('3,499.8');
    expect(formatNumber('n/a')).toBe('n/a');
  });
});

describe('cityFilter', () => {
  it('maps empty selects to no filter and the rest to typed values', () => {
    expect(cityFilter({ region: '', country: '', award: '', feature: '' })).toEqual({ region: null, country: null, award: null, key_feature: null });
    expect(cityFilter({ region: 'Africa', country: 'Egypt', award: '2019', feature: '3' })).toEqual({ region: 'Africa', country: 'Egypt', award: 2019, key_feature: 3 });
  });
});
