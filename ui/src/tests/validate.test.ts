import { describe, expect, it } from 'vitest';
import cork from '../../../data/portraits/ie-cork/v1.json';
import { errorsFor, isPlausibleEmail, pointerToPath, validatePortrait } from '../validate';
import { RULES } from '../rules';

const base = () => structuredClone(cork) as any;

describe('portrait validation (same JSON Schema as Rust)', () => {
  it('accepts a seed portrait', () => {
    expect(validatePortrait(base())).toEqual([]);
  });
  it('reports every error with its JSON path', () => {
    const p = base();
    p.facts.population.year = 'last year';
    p.contacts[0].email = 'learningfestival at corkcity.ie';
    p.lead = '';
    delete p.city;
    const paths = validatePortrait(p).map((e) => e.path);
    expect(paths).toContain('$.facts.population.year');
    expect(paths).toContain('$.contacts[0].email');
    expect(paths).toContain('$.lead');
    expect(paths).toContain('$.city');
  });
  it('finds the errors of one field', () => {
    const errs = [{ path: '$.contacts[0].email', message: 'x' }, { path: '$.lead', message: 'y' }];
    expect(errorsFor(errs, '$.contacts[0]')).toHaveLength(1);
    expect(errorsFor(errs, '$.contacts[1]')).toHaveLength(0);
  });
  it('converts pointers like Rust', () => {
    expect(pointerToPath('')).toBe('$');
    expect(pointerToPath('/facts/population/year')).toBe('$.facts.population.year');
    expect(pointerToPath('/contacts/0/email')).toBe('$.contacts[0].email');
  });
});

describe('the rules generated from Rust', () => {
  it('judge every sample address as Rust does', () => {
    expect(RULES.email_samples.length).toBeGreaterThan(20);
    for (const [addr, ok] of RULES.email_samples) expect([addr, isPlausibleEmail(addr)]).toEqual([addr, ok]);
    // The case the two sides once disagreed on.
    expect(isPlausibleEmail('x@.example.org')).toBe(false);
  });

  it('reject an address Rust rejects in the form too', () => {
    const p = structuredClone(cork) as any;
    p.contacts = [{ name: 'X', email: 'x@.example.org' }];
    expect(validatePortrait(p).map((e) => e.path)).toContain('$.contacts[0].email');
  });
});
