// The Cities screen's search, filters and order live in its hash (#/cities?q=cork&region=…),
// so they survive going to a city and Back, and a link can open a search. The last one is
// remembered too, so the main nav's "Cities" and the search shortcut (Ctrl+F, /) return to it.

import type { SortBy } from './host';
import { AWARD_YEARS, KEY_FEATURES, REGIONS } from './util';

export interface CitiesState {
  q: string;
  region: string;
  country: string;
  award: string;
  feature: string;
  sort: SortBy;
}

export const EMPTY_CITIES: Readonly<CitiesState> = { q: '', region: '', country: '', award: '', feature: '', sort: 'name' };

const SORTS: readonly SortBy[] = ['name', 'country', 'population'];

/** The route ("cities") and its parameters from a hash such as "#/cities?q=cork". */
export function splitHash(hash: string): { path: string; params: URLSearchParams } {
  const h = hash.replace(/^#\/?/, '');
  const i = h.indexOf('?');
  return i < 0 ? { path: h, params: new URLSearchParams() } : { path: h.slice(0, i), params: new URLSearchParams(h.slice(i + 1)) };
}

/** Whether a hash shows the Cities screen (it is the first screen, so no hash shows it too). */
export function isCitiesHash(hash: string): boolean {
  const path = splitHash(hash).path;
  return path === 'cities' || path === '';
}

/** The Cities state a hash asks for; unknown or invalid values fall back to "all". */
export function parseCitiesHash(hash: string): CitiesState {
  const p = splitHash(hash).params;
  const get = (k: string) => p.get(k) ?? '';
  const region = get('region');
  const award = get('award');
  const feature = get('feature');
  const sort = get('sort') as SortBy;
  return {
    q: get('q'),
    region: REGIONS.includes(region) ? region : '',
    country: get('country').trim(),
    award: AWARD_YEARS.map(String).includes(award) ? award : '',
    feature: /^\d+$/.test(feature) && Number(feature) >= 1 && Number(feature) <= KEY_FEATURES.length ? feature : '',
    sort: SORTS.includes(sort) ? sort : 'name',
  };
}

/** The hash for a Cities state: "#/cities" when it is the plain list. */
export function citiesHash(s: CitiesState): string {
  const p = new URLSearchParams();
  if (s.q.trim()) p.set('q', s.q);
  for (const k of ['region', 'country', 'award', 'feature'] as const) if (s[k]) p.set(k, s[k]);
  if (s.sort !== 'name') p.set('sort', s.sort);
  const query = p.toString().replace(/\+/g, '%20');
  return query ? `#/cities?${query}` : '#/cities';
}

/** Whether a hash shows the Map screen (#/map, #/map?region=Africa). */
export function isMapHash(hash: string): boolean {
  return splitHash(hash).path === 'map';
}

/** Whether a hash carries any parameters (#/map?region=… rather than #/map). */
export function hasParams(hash: string): boolean {
  return [...splitHash(hash).params.keys()].length > 0;
}

/**
 * The Map screen's hash for the Cities filters (the map shows what the list shows; it has no
 * search or order): "#/map" when nothing is filtered. parseCitiesHash reads it back.
 */
export function mapHash(s: Pick<CitiesState, 'region' | 'country' | 'award' | 'feature'>): string {
  const h = citiesHash({ ...EMPTY_CITIES, region: s.region, country: s.country, award: s.award, feature: s.feature });
  return h.replace(/^#\/cities/, '#/map');
}

const KEY = 'portraits.cities';
let last = '#/cities';
try {
  last = sessionStorage.getItem(KEY) ?? last;
} catch {
  // no storage (tests in Node): remembered for this page only
}

/** Remembers the Cities screen's current hash. */
export function rememberCities(hash: string) {
  last = hash;
  try {
    sessionStorage.setItem(KEY, hash);
  } catch {
    // as above
  }
}

/** The hash of the last Cities search ("#/cities" when there was none). */
export function lastCitiesHash(): string {
  return isCitiesHash(last) ? last : '#/cities';
}

let focusOnArrival = false;

/** Asks the Cities screen to focus its search box when it next appears. */
export function focusSearchOnArrival() {
  focusOnArrival = true;
}

/** Whether the search box should take the focus now (asked once, then forgotten). */
export function takeSearchFocus(): boolean {
  const f = focusOnArrival;
  focusOnArrival = false;
  return f;
}
