import { describe, expect, it } from 'vitest';
import { CLUSTERS, afterContactRemoved, interestRows, parseCoordinate, readInterests, readLocation, refFromValue, refValue, removeContact, removeQuote, sortClusters } from '../member-record';

describe('member record', () => {
  it('reads coordinates as people type them', () => {
    expect(parseCoordinate('51.8985', 90)).toBe(51.8985);
    expect(parseCoordinate(' 51,9 ', 90)).toBe(51.9);
    expect(parseCoordinate('-8.47', 180)).toBe(-8.47);
    expect(parseCoordinate('', 90)).toBe('');
    expect(parseCoordinate('91', 90)).toBeNull();
    expect(parseCoordinate('51°N', 90)).toBeNull();
    expect(parseCoordinate('1e3', 180)).toBeNull();
  });

  it('gives a location only with both coordinates', () => {
    expect(readLocation({ lat: '54.91', lon: '9.79' })).toEqual({ location: { lat: 54.91, lon: 9.79 }, errors: [] });
    expect(readLocation({ lat: '', lon: '' })).toEqual({ location: null, errors: [] });
    expect(readLocation({ lat: '54.91', lon: '' }).errors.map((e) => e.path)).toEqual(['$.location.lon']);
    expect(readLocation({ lat: 'north', lon: '200' }).errors.map((e) => e.path)).toEqual(['$.location.lat', '$.location.lon']);
  });

  it('keeps the mayor and focal point on their people when a contact is removed', () => {
    const p = { contacts: [{ name: 'A' }, { name: 'B' }, { name: 'C' }] as never[], mayor: { contact: 2 } as const, focal_point: { contact: 1 } as const };
    const q = { ...p, contacts: [...p.contacts], mayor: p.mayor as never, focal_point: p.focal_point as never };
    removeContact(q, 1);
    expect(q.contacts).toHaveLength(2);
    expect(q.mayor).toEqual({ contact: 1 });
    expect(q.focal_point).toBeNull();
    expect(afterContactRemoved('quote', 0)).toBe('quote');
    expect(afterContactRemoved({ contact: 0 }, 3)).toEqual({ contact: 0 });
  });

  it('drops references to the quote with the quote', () => {
    const p = { quote: { text: 't', speaker: 's', role: null }, mayor: 'quote' as const, focal_point: { contact: 0 } as const };
    const q = { ...p, mayor: p.mayor as never, focal_point: p.focal_point as never };
    removeQuote(q);
    expect(q.quote).toBeNull();
    expect(q.mayor).toBeNull();
    expect(q.focal_point).toEqual({ contact: 0 });
  });

  it('round-trips references through a select value', () => {
    for (const r of [null, 'quote', { contact: 0 }, { contact: 12 }] as const) expect(refFromValue(refValue(r))).toEqual(r);
  });

  it('reads the interests table: both ratings or neither, in the network order', () => {
    const rows = interestRows([{ theme: 'literacy', interest: 5, expertise: 2 }]);
    rows.equity_and_inclusion = { interest: '4', expertise: '4' };
    rows.entrepreneurship = { interest: '3', expertise: '' };
    const { interests, errors } = readInterests(rows);
    expect(interests).toEqual([{ theme: 'equity_and_inclusion', interest: 4, expertise: 4 }, { theme: 'literacy', interest: 5, expertise: 2 }]);
    expect(errors.map((e) => e.path)).toEqual(['$.interests.entrepreneurship']);
  });

  it('sorts clusters in the network order, each once', () => {
    expect(sortClusters(['literacy', 'equity_and_inclusion', 'literacy'])).toEqual(['equity_and_inclusion', 'literacy']);
    expect(CLUSTERS).toHaveLength(7);
  });
});
