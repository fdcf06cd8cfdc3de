import { describe, expect, it } from 'vitest';
import { FakeHost } from '../host-fake';

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
    expect(r.draft.base_version).toBe(1);
    expect(r.errors.map((e) => e.path)).toContain('$.lead');
    expect((await h.getDraft('ie-cork'))?.portrait.lead).toBe('');
  });
});
