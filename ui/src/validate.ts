// Form validation from the same rules as Rust: the portrait JSON Schema that Rust generates
// (data/schema/portrait.schema.json), checked with Ajv, plus the domain rules a schema cannot
// say that a form can check on the spot. Errors carry JSON paths like Rust's
// ("$.facts.population.year"), so the server's field errors land on the same fields.

import check from './generated/portrait-validator.js';
import type { FieldError } from './bindings/FieldError';

// `check` is Ajv's validator for the schema, compiled ahead of time (scripts/gen-validator.mjs):
// the window's CSP forbids the eval that compiling at run time would need.

export function pointerToPath(pointer: string): string {
  let out = '$';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z0-9_]+$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

// The same rule as Rust's `is_plausible_email`: what a mailto: link carries as it is (no `?`,
// `#`, `%`, `&`, `=`, `/` that could start URL parameters), a domain of two or more labels.
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?';
const EMAIL = new RegExp(`^(?!\\.)(?!.*\\.\\.)[^\\s@<>()[\\]\\\\,;:"?#%&=/'\`]{1,64}(?<!\\.)@${LABEL}(?:\\.${LABEL})+$`, 'u');

/** Every error of a portrait: schema, then the domain rules a form can check. */
export function validatePortrait(p: unknown): FieldError[] {
  const errors: FieldError[] = [];
  if (!check(p)) {
    for (const e of check.errors ?? []) {
      let path = pointerToPath(e.instancePath);
      if (e.keyword === 'required' && 'missingProperty' in e.params) path = `${path}.${(e.params as any).missingProperty}`;
      if (e.keyword === 'oneOf' || e.keyword === 'const') continue; // reported by their branches below
      errors.push({ path, message: e.message ?? 'invalid' });
    }
  }
  const q = p as any;
  if (q && typeof q === 'object') {
    if (typeof q.lead === 'string' && q.lead.trim() === '') errors.push({ path: '$.lead', message: 'the lead paragraph must not be empty' });
    if (typeof q.tagline === 'string' && q.tagline.trim() === '') errors.push({ path: '$.tagline', message: 'must not be empty; leave the tagline out instead' });
    (q.contacts ?? []).forEach((c: any, i: number) => {
      if (c && typeof c.email === 'string' && c.email !== '' && !EMAIL.test(c.email)) {
        errors.push({ path: `$.contacts[${i}].email`, message: `${JSON.stringify(c.email)} is not an email address` });
      }
      if (c && typeof c.name === 'string' && c.name.trim() === '') errors.push({ path: `$.contacts[${i}].name`, message: 'must not be empty' });
    });
    for (const key of ['population', 'area_km2', 'gdp_city_usd', 'gdp_country_usd', 'schooling_years']) {
      const f = q.facts?.[key];
      if (f && typeof f.value === 'number' && f.value < 0) errors.push({ path: `$.facts.${key}.value`, message: 'must not be negative' });
      if (f && f.value !== 'n/a' && typeof f.value !== 'number') errors.push({ path: `$.facts.${key}.value`, message: 'a number, or n/a' });
      if (f && f.year !== 'n/a' && (typeof f.year !== 'number' || f.year < 1900 || f.year > 2100)) {
        errors.push({ path: `$.facts.${key}.year`, message: 'a year from 1900 to 2100, or n/a' });
      }
    }
  }
  // One message per path.
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.path) ? false : (seen.add(e.path), true)));
}

/** The errors of one field (and its children), for showing next to it. */
export function errorsFor(errors: FieldError[], path: string): FieldError[] {
  return errors.filter((e) => e.path === path || e.path.startsWith(path + '.') || e.path.startsWith(path + '['));
}
