import { describe, expect, it } from 'vitest';
import { EMPTY_CITIES, citiesHash, parseCitiesHash, splitHash } from '../cities-state';

describe('the Cities screen state in its hash', () => {
  it('is the plain list without parameters', () => {
    expect(citiesHash(EMPTY_CITIES)).toBe('#/cities');
    expect(parseCitiesHash('#/cities')).toEqual(EMPTY_CITIES);
  });
  it('round-trips a search with filters and order', () => {
    const s = { q: 'Sønder borg', region: 'Africa', country: 'Republic of Korea', award: '2015', feature: '3', sort: 'population' as const };
    const h = citiesHash(s);
    expect(h).toBe('#/cities?q=S%C3%B8nder%20borg&region=Africa&country=Republic%20of%20Korea&award=2015&feature=3&sort=population');
    expect(parseCitiesHash(h)).toEqual(s);
    expect(splitHash(h).path).toBe('cities');
  });
  it('reads a hand-written link and drops what it does not know', () => {
    expect(parseCitiesHash('#/cities?q=cork')).toEqual({ ...EMPTY_CITIES, q: 'cork' });
    expect(parseCitiesHash('#/cities?q=a+b&region=Mars&award=1999&feature=13&sort=random')).toEqual({ ...EMPTY_CITIES, q: 'a b' });
  });
});
