import { describe, expect, it } from 'vitest';
import { bulletItems, bulletMarkdown, cityFilter, formatNumber, moveItem, parseFactInput, parseYearInput } from '../util';

describe('bullet lists as list editors', () => {
  it('reads a plain bullet list and writes it back', () => {
    expect(bulletItems('- Adult illiteracy\n- Childcare')).toEqual(['Adult illiteracy', 'Childcare']);
    expect(bulletItems('Intro.\n\n- a')).toBeNull();
    expect(bulletItems(null)).toEqual([]);
    expect(bulletMarkdown(['Adult illiteracy', ' ', 'Child\ncare'])).toBe('- Adult illiteracy\n- Child care');
    expect(bulletMarkdown([])).toBeNull();
  });
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
  ])('value %s', (text, want) => expect(parseFactInput(text, 'en')).toBe(want));
  it.each([
    ['fr', '80 006', 80006],
    ['fr', '80\u202f006', 80006],
    ['fr', '3 499,8', 3499.8],
    ['fr', '380,2', 380.2],
    ['fr', 'n.d.', 'n/a'],
    ['es', '80.006', 80006],
    ['es', '3499,8', 3499.8],
    ['es', '8006', 8006],
    ['en', '80 006', 80006],
    ['en', '1,2,3', null],
    ['es', '80,006,1', null],
  ])('in %s, value %s', (locale, text, want) => expect(parseFactInput(text, locale as 'en' | 'fr' | 'es')).toBe(want));
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
    expect(formatNumber(21705000, 'fr')).toBe('21\u202f705\u202f000');
    expect(formatNumber(21705000, 'es')).toBe('21.705.000');
  });
});

describe('cityFilter', () => {
  it('maps empty selects to no filter and the rest to typed values', () => {
    expect(cityFilter({ region: '', country: '', award: '', feature: '' })).toEqual({ region: null, country: null, award: null, key_feature: null });
    expect(cityFilter({ region: 'Africa', country: 'Egypt', award: '2019', feature: '3' })).toEqual({ region: 'Africa', country: 'Egypt', award: 2019, key_feature: 3 });
  });
});
