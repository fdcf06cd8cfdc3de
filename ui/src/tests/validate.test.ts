import { describe, expect, it } from 'vitest';
import cork from '../../../data/portraits/ie-cork/v1.json';
import { errorsFor, pointerToPath, validatePortrait } from '../validate';

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
