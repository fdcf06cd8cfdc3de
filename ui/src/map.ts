// The Map screen's pure parts (unit-tested with Vitest): the projection and its frame, the view
// (viewBox) that fits a set of cities, the order of the dots, their colours and their words
// (messages `map.*`, in the window's language; English without the window).
// The country shapes (Natural Earth 1:50m from world-atlas) are loaded by the screen itself.

import { geoEqualEarth, type GeoProjection } from 'd3-geo';
import type { CitySummary } from './host';
import type { Region } from './bindings/Region';
import { fold } from './util';
import { currentLocale, intlTag, t, type Locale } from './messages';
import { countryName } from './present';

/** The map's width in SVG units; its height follows from the projection. */
export const MAP_WIDTH = 960;
/** The latitudes shown: the far north and Antarctica are cut (no member city is there). */
export const NORTH = 84;
export const SOUTH = -58;

/** A rectangle in SVG units: the whole map, or the part of it in view (the SVG's viewBox). */
export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The projection and the rectangle of the map it draws. */
export interface Frame {
  projection: GeoProjection;
  view: View;
}

/** Equal Earth, fitted to `width` units across, cropped to the latitudes from SOUTH to NORTH. */
export function worldFrame(width = MAP_WIDTH): Frame {
  const projection = geoEqualEarth().fitWidth(width, { type: 'Sphere' });
  // Equal Earth's parallels are straight: a latitude's y is the same at every longitude.
  const top = projection([0, NORTH])![1];
  const bottom = projection([0, SOUTH])![1];
  return { projection, view: { x: 0, y: top, w: width, h: bottom - top } };
}

/** A view as the SVG's viewBox attribute. */
export function viewBox(v: View): string {
  const r = (n: number) => Math.round(n * 100) / 100;
  return `${r(v.x)} ${r(v.y)} ${r(v.w)} ${r(v.h)}`;
}

/**
 * The view that shows all the points with a margin, with the whole map's proportions, no
 * narrower than `minWidth` units and inside the map. By default that is about 3.5° of
 * longitude for several points (close enough to tell the Seoul area's cities apart) and 11°
 * for one (its country around it, not a blown-up coastline). No points, or points spread over
 * most of the map: the whole map.
 */
export function fitView(points: readonly (readonly [number, number])[], whole: View, minWidth = whole.w / (points.length > 1 ? 96 : 32), margin = 0.12): View {
  if (points.length === 0) return whole;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const aspect = whole.w / whole.h;
  let w = Math.max((x1 - x0) * (1 + 2 * margin), (y1 - y0) * (1 + 2 * margin) * aspect, minWidth);
  if (w >= whole.w * 0.8) return whole;
  const h = w / aspect;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const x = clamp((x0 + x1) / 2 - w / 2, whole.x, whole.x + whole.w - w);
  const y = clamp((y0 + y1) / 2 - h / 2, whole.y, whole.y + whole.h - h);
  return { x, y, w, h };
}

/** Whether a point is inside a view. */
export function inView(v: View, x: number, y: number): boolean {
  return x >= v.x && x <= v.x + v.w && y >= v.y && y <= v.y + v.h;
}

/** A city with a place on the map. */
export interface Placed {
  city: CitySummary;
  x: number;
  y: number;
}

/**
 * The cities with a location, projected and in the order the keyboard visits them (and the
 * order they are drawn): west to east as drawn, then north to south, then by name; and those without a
 * location (or with one the projection cannot place), by name.
 */
export function placeCities(cities: readonly CitySummary[], projection: GeoProjection): { placed: Placed[]; missing: CitySummary[] } {
  const placed: Placed[] = [];
  const missing: CitySummary[] = [];
  for (const city of cities) {
    const l = city.location;
    const p = l && Number.isFinite(l.lat) && Number.isFinite(l.lon) && Math.abs(l.lat) <= 90 && Math.abs(l.lon) <= 180 ? projection([l.lon, l.lat]) : null;
    if (p && Number.isFinite(p[0]) && Number.isFinite(p[1])) placed.push({ city, x: p[0], y: p[1] });
    else missing.push(city);
  }
  const byName = (a: CitySummary, b: CitySummary) => fold(a.name).localeCompare(fold(b.name));
  // By the dot's place, not the longitude: Equal Earth's meridians bend towards the poles.
  placed.sort((a, b) => a.x - b.x || a.y - b.y || byName(a.city, b.city));
  missing.sort(byName);
  return { placed, missing };
}

const listFormats = new Map<string, Intl.ListFormat>();

/** Years in words: "2019", "2015 and 2024", "2015, 2019 and 2024" ("2015, 2019 et 2024"). */
export function yearsText(years: readonly number[], locale: Locale = currentLocale()): string {
  const tag = intlTag(locale);
  let f = listFormats.get(tag);
  if (!f) listFormats.set(tag, (f = new Intl.ListFormat(tag, { type: 'conjunction' })));
  return f.format(years.map(String));
}

/** "Learning City Award 2019" (or several years), or '' for a city without one. */
export function awardText(c: Pick<CitySummary, 'awards'>, locale: Locale = currentLocale()): string {
  return c.awards.length ? t('map.award', { years: yearsText(c.awards, locale) }, locale) : '';
}

/** A dot's accessible name: "Sønderborg, Denmark, Learning City Award 2019" (the country in the window's language). */
export function dotLabel(c: Pick<CitySummary, 'name' | 'country' | 'awards'>, locale: Locale = currentLocale()): string {
  const award = awardText(c, locale);
  const params = { city: c.name, country: countryName(c.country, locale) };
  return award ? t('map.dot_award', { ...params, award }, locale) : t('map.dot', params, locale);
}

/** "41 of 44 cities shown", "1 of 1 city shown". */
export function countText(shown: number, total: number, locale: Locale = currentLocale()): string {
  return t('map.shown', { count: total, shown }, locale);
}

/**
 * The cities a "find a city" box means: every word typed starts a word of the city's name or
 * country (as the data writes it or in the window's language: "korea" and "corée"),
 * diacritics folded ("sonder" finds Sønderborg, "korea" the Korean cities); or the folded name
 * contains what was typed. Nothing typed: none.
 */
export function findCities<T extends Pick<CitySummary, 'name' | 'country'>>(cities: readonly T[], text: string, locale: Locale = currentLocale()): T[] {
  const q = fold(text).trim();
  if (q === '') return [];
  const split = (s: string) => s.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  const typed = split(q);
  return cities.filter((c) => {
    const words = split(fold(`${c.name} ${c.country.name} ${countryName(c.country, locale)}`));
    return fold(c.name).includes(q) || (typed.length > 0 && typed.every((t) => words.some((w) => w.startsWith(t))));
  });
}

/**
 * The regions' colours (Okabe and Ito's palette, told apart with the common colour-vision
 * deficiencies); each dot also has a dark edge, so it stands out on land and sea alike.
 */
export const REGION_COLORS: Record<Region, string> = {
  Africa: '#E69F00',
  'Arab States': '#56B4E9',
  'Asia and the Pacific': '#0072B2',
  'Europe and North America': '#009E73',
  'Latin America and the Caribbean': '#D55E00',
};
