import { describe, expect, it } from 'vitest';
import { FakeHost, parseTerms } from '../host-fake';

const none = { region: null, country: null, award: null, key_feature: null };

describe('the fake host behaves like the real one for the screens', () => {
  it('lists the 44 cities and filters them', async () => {
    const h = new FakeHost();
    expect(await h.listCities(none, 'name')).toHaveLength(44);
    expect(await h.listCities({ ...none, award: 2015 }, 'name')).toHaveLength(9);
    const eu = await h.listCities({ ...none, region: 'Europe and North America' }, 'name');
    expect(eu.every((c) => c.region === 'Europe and North America')).toBe(true);
  });
  it('searches without diacritics', async () => {
    const h = new FakeHost();
    const hits = await h.search({ text: 'eskisehir', filter: none, limit: 5 });
    expect(hits[0].name).toBe('Eskişehir');
    expect((await h.search({ text: 'sonderborg', filter: none, limit: 5 }))[0].city_id).toBe('dk-sonderborg');
  });
  it('refuses a search without words', async () => {
    const h = new FakeHost();
    await expect(h.search({ text: '***', filter: none, limit: 5 })).rejects.toMatchObject({ code: 'invalid_input' });
  });
  it('keeps a draft with its base version and validation errors', async () => {
    const h = new FakeHost();
    const p = (await h.showCity('ie-cork')).portrait;
    const r = await h.saveDraft('ie-cork', { ...p, lead: '' });
    expect(r.draft.base_version).toBe(p.version);
    expect(r.errors.map((e) => e.path)).toContain('$.lead');
    expect((await h.getDraft('ie-cork'))?.portrait.lead).toBe('');
  });
});

describe('search as you type', () => {
  it('reads the last word as a prefix and earlier words as whole words', () => {
    expect(parseTerms('eski')).toEqual([{ words: ['eski'], prefix: true }]);
    expect(parseTerms('learning cit')).toEqual([{ words: ['learning'], prefix: false }, { words: ['cit'], prefix: true }]);
    expect(parseTerms('learn* cities ')).toEqual([{ words: ['learn'], prefix: true }, { words: ['cities'], prefix: true }]);
    expect(parseTerms('"learning city"')).toEqual([{ words: ['learning', 'city'], prefix: false }]);
    expect(parseTerms('"learning cit')).toEqual([{ words: ['learning', 'cit'], prefix: true }]);
    expect(parseTerms('Sønder')).toEqual([{ words: ['sonder'], prefix: true }]);
  });
  it('finds a city from the first letters of its name, diacritics folded', async () => {
    const h = new FakeHost();
    for (const [text, id] of [['eski', 'tr-eskisehir'], ['cor', 'ie-cork'], ['Sønder', 'dk-sonderborg'], ['sonder', 'dk-sonderborg'], ['ESKİŞ', 'tr-eskisehir']]) {
      const hits = await h.search({ text, filter: none, limit: 50 });
      expect(hits[0]?.city_id, text).toBe(id);
    }
  });
  it('ranks the cities whose name matches first', async () => {
    const h = new FakeHost();
    const hits = await h.search({ text: 'cor', filter: none, limit: 50 });
    expect(hits.length).toBeGreaterThan(1);
    expect(hits[0].name).toBe('Cork');
    expect(hits.slice(1).every((x) => !/^cor/i.test(x.name))).toBe(true);
  });
  it('needs earlier words whole', async () => {
    const h = new FakeHost();
    expect(await h.search({ text: 'eski cork', filter: none, limit: 50 })).toEqual([]);
    expect((await h.search({ text: 'cork fest', filter: none, limit: 50 }))[0]?.city_id).toBe('ie-cork');
  });
  it('marks the matched words in the snippet', async () => {
    const h = new FakeHost();
    const [hit] = await h.search({ text: 'cor', filter: none, limit: 1 });
    expect(hit.snippet.filter((s) => s.hit).map((s) => s.text.trim().toLowerCase()).every((t) => t.startsWith('cor'))).toBe(true);
    expect(hit.snippet.some((s) => s.hit)).toBe(true);
  });
});
