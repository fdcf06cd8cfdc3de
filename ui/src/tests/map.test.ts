import { describe, expect, it } from 'vitest';
import type { CitySummary } from '../host';
import type { Region } from '../bindings/Region';
import { MAP_WIDTH, REGION_COLORS, countText, dotLabel, findCities, fitView, inView, placeCities, viewBox, worldFrame, yearsText } from '../map';
import { REGIONS } from '../util';
import { hasParams, isMapHash, mapHash, parseCitiesHash } from '../cities-state';

function city(id: string, name: string, country: string, region: Region, location: [lat: number, lon: number] | null, awards: number[] = []): CitySummary {
  return {
    id, name, country: { code: id.slice(0, 2).toUpperCase(), name: country }, region, awards, member_since: null, latest_version: 1,
    tagline: null, population: null, location: location ? { lat: location[0], lon: location[1] } : null,
  };
}

const sonderborg = city('dk-sonderborg', 'Sønderborg', 'Denmark', 'Europe and North America', [54.91, 9.79], [2019]);
const philipsburg = city('sx-philipsburg', 'Philipsburg', 'Sint Maarten', 'Latin America and the Caribbean', [18.026, -63.045]);
const cork = city('ie-cork', 'Cork', 'Ireland', 'Europe and North America', [51.9, -8.47], [2015, 2024]);
const suwon = city('kr-suwon', 'Suwon', 'Republic of Korea', 'Asia and the Pacific', [37.26, 127.03]);
const osan = city('kr-osan', 'Osan', 'Republic of Korea', 'Asia and the Pacific', [37.15, 127.07]);
const kano = city('ng-kano-state', 'Kano State', 'Nigeria', 'Africa', null);
const amman = city('jo-amman', 'Amman', 'Jordan', 'Arab States', [31.95, 35.93]);

describe('the world frame', () => {
  const { projection, view } = worldFrame();
  it('is the map width across and cut north and south', () => {
    expect(view.x).toBe(0);
    expect(view.w).toBe(MAP_WIDTH);
    expect(view.h).toBeGreaterThan(300);
    expect(view.h).toBeLessThan(MAP_WIDTH / 2);
  });
  it('puts the member cities inside it, west left of east and north above south', () => {
    const at = (c: CitySummary) => projection([c.location!.lon, c.location!.lat])!;
    for (const c of [sonderborg, philipsburg, cork, suwon, amman]) expect(inView(view, ...at(c))).toBe(true);
    expect(at(philipsburg)[0]).toBeLessThan(at(cork)[0]);
    expect(at(cork)[0]).toBeLessThan(at(sonderborg)[0]);
    expect(at(sonderborg)[0]).toBeLessThan(at(suwon)[0]);
    expect(at(sonderborg)[1]).toBeLessThan(at(amman)[1]);
    expect(at(amman)[1]).toBeLessThan(at(philipsburg)[1]);
  });
  it('writes a viewBox', () => {
    expect(viewBox({ x: 1.234, y: -5, w: 960, h: 400.005 })).toBe('1.23 -5 960 400.01');
  });
});

describe('fitting the view to cities', () => {
  const whole = { x: 0, y: 0, w: 960, h: 420 };
  it('is the whole map without points or when they spread over it', () => {
    expect(fitView([], whole)).toEqual(whole);
    expect(fitView([[10, 10], [900, 400]], whole)).toEqual(whole);
  });
  it('keeps the map proportions, a margin and the points inside', () => {
    const v = fitView([[400, 100], [500, 150]], whole);
    expect(v.w / v.h).toBeCloseTo(960 / 420);
    expect(v.w).toBeGreaterThanOrEqual(100 * 1.24 - 1e-9);
    for (const [x, y] of [[400, 100], [500, 150]]) expect(inView(v, x, y)).toBe(true);
  });
  it('does not blow one city up to fill the window', () => {
    const v = fitView([[480, 200]], whole);
    expect(v.w).toBeCloseTo(960 / 32);
    expect(v.x + v.w / 2).toBeCloseTo(480);
  });
  it('comes close enough to tell neighbouring cities apart', () => {
    expect(fitView([[480, 200], [480.5, 200.5]], whole).w).toBeCloseTo(960 / 96);
  });
  it('stays inside the map near its edge', () => {
    const v = fitView([[2, 2]], whole);
    expect(v.x).toBe(0);
    expect(v.y).toBe(0);
  });
});

describe('placing the cities', () => {
  const { projection } = worldFrame();
  it('orders the dots west to east and lists those without a location by name', () => {
    const { placed, missing } = placeCities([suwon, sonderborg, kano, osan, philipsburg, cork, city('xx-b', 'B', 'X', 'Africa', null)], projection);
    expect(placed.map((p) => p.city.id)).toEqual(['sx-philipsburg', 'ie-cork', 'dk-sonderborg', 'kr-suwon', 'kr-osan']);
    expect(missing.map((c) => c.id)).toEqual(['xx-b', 'ng-kano-state']);
  });
  it('treats an impossible location as none', () => {
    const { placed, missing } = placeCities([city('xx-a', 'A', 'X', 'Africa', [91, 0]), city('xx-c', 'C', 'X', 'Africa', [0, Number.NaN])], projection);
    expect(placed).toEqual([]);
    expect(missing).toHaveLength(2);
  });
});

describe('the words of the map', () => {
  it('names a dot with its country and awards', () => {
    expect(dotLabel(sonderborg)).toBe('Sønderborg, Denmark, Learning City Award 2019');
    expect(dotLabel(cork)).toBe('Cork, Ireland, Learning City Award 2015 and 2024');
    expect(dotLabel(philipsburg)).toBe('Philipsburg, Sint Maarten');
    expect(yearsText([2015, 2019, 2024])).toBe('2015, 2019 and 2024');
  });
  it('counts the cities shown', () => {
    expect(countText(41, 44)).toBe('41 of 44 cities shown');
    expect(countText(1, 1)).toBe('1 of 1 city shown');
  });
  it('finds a city as people type it, with or without accents', () => {
    const all = [sonderborg, philipsburg, cork, suwon, osan, kano];
    expect(findCities(all, 'sonder').map((c) => c.id)).toEqual(['dk-sonderborg']);
    expect(findCities(all, 'Sønderborg').map((c) => c.id)).toEqual(['dk-sonderborg']);
    expect(findCities(all, 'korea').map((c) => c.id)).toEqual(['kr-suwon', 'kr-osan']);
    expect(findCities(all, 'derbo').map((c) => c.id)).toEqual(['dk-sonderborg']);
    expect(findCities(all, 'kano st').map((c) => c.id)).toEqual(['ng-kano-state']);
    expect(findCities(all, '  ')).toEqual([]);
    expect(findCities(all, 'zzz')).toEqual([]);
  });
  it('has a colour for every region, all different', () => {
    expect(Object.keys(REGION_COLORS).sort()).toEqual([...REGIONS].sort());
    expect(new Set(Object.values(REGION_COLORS)).size).toBe(REGIONS.length);
  });
});

describe('the Map screen hash', () => {
  it('carries the Cities filters and nothing else', () => {
    expect(mapHash({ region: '', country: '', award: '', feature: '' })).toBe('#/map');
    const h = mapHash({ region: 'Africa', country: 'Nigeria', award: '2019', feature: '' });
    expect(h).toBe('#/map?region=Africa&country=Nigeria&award=2019');
    expect(isMapHash(h)).toBe(true);
    expect(isMapHash('#/cities?region=Africa')).toBe(false);
    expect(hasParams(h)).toBe(true);
    expect(hasParams('#/map')).toBe(false);
    expect(parseCitiesHash(h)).toMatchObject({ region: 'Africa', country: 'Nigeria', award: '2019', feature: '', q: '' });
  });
});
