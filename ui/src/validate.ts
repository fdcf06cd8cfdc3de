// Form validation from the same rules as Rust: the portrait JSON Schema that Rust generates
// (data/schema/portrait.schema.json), checked with Ajv, plus the domain rules a schema cannot
// say that a form can check on the spot. Errors carry JSON paths like Rust's
// ("$.facts.population.year"), so the server's field errors land on the same fields.

import check from './generated/portrait-validator.js';
import type { FieldError } from './bindings/FieldError';
import { RULES } from './rules';

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

// Rust's email rule (src/model/rules.rs), generated into ./rules.ts: one pattern, read the same
// way by Rust's regex and JavaScript's `u` mode; the local part at most 64 bytes.
const EMAIL = new RegExp(RULES.email_pattern, 'u');

/** Whether an address passes Rust's email rule. */
export function isPlausibleEmail(email: string): boolean {
  const at = email.indexOf('@');
  const localBytes = at < 0 ? 0 : new TextEncoder().encode(email.slice(0, at)).length;
  return at >= 0 && localBytes <= RULES.limits.email_local_bytes && EMAIL.test(email);
}

type Coded = FieldError & { code: string; params?: Record<string, string | number> };

/** An Ajv error with the code Rust gives the same problem (messages `invalid.<code>`). */
function ajvError(path: string, e: { keyword: string; message?: string; params: Record<string, unknown> }): Coded {
  const message = e.message ?? 'invalid';
  const limit = e.params.limit as number;
  switch (e.keyword) {
    case 'required': return { path, message, code: 'required', params: { property: String(e.params.missingProperty) } };
    case 'maxLength': return { path, message, code: 'too_long_max', params: { max: limit } };
    case 'minLength': return limit === 1 ? { path, message, code: 'empty' } : { path, message, code: 'wrong_form' };
    case 'maxItems': return { path, message, code: 'too_many', params: { max: limit } };
    case 'minimum': return { path, message, code: 'minimum', params: { limit } };
    case 'maximum': return { path, message, code: 'maximum', params: { limit } };
    case 'type': return { path, message, code: 'wrong_type' };
    case 'enum': return { path, message, code: 'not_allowed_value' };
    case 'pattern': case 'format': return { path, message, code: 'wrong_form' };
    case 'additionalProperties': return { path, message, code: 'unknown_field', params: { name: String(e.params.additionalProperty) } };
    default: return { path, message, code: '' };
  }
}

/**
 * Every error of a portrait: schema, then the domain rules a form can check. Each carries the
 * code and parameters Rust gives the same problem, so the window words it in its language
 * (`fieldErrorText`); `message` stays English, as Rust's.
 */
export function validatePortrait(p: unknown): FieldError[] {
  const errors: Coded[] = [];
  if (!check(p)) {
    for (const e of check.errors ?? []) {
      let path = pointerToPath(e.instancePath);
      if (e.keyword === 'required' && 'missingProperty' in e.params) path = `${path}.${(e.params as any).missingProperty}`;
      if (e.keyword === 'oneOf' || e.keyword === 'const') continue; // reported by their branches below
      errors.push(ajvError(path, e as any));
    }
  }
  const q = p as any;
  if (q && typeof q === 'object') {
    if (typeof q.lead === 'string' && q.lead.trim() === '') errors.push({ path: '$.lead', message: 'the lead paragraph must not be empty', code: 'empty' });
    if (typeof q.tagline === 'string' && q.tagline.trim() === '') errors.push({ path: '$.tagline', message: 'must not be empty; leave the tagline out instead', code: 'empty' });
    (q.contacts ?? []).forEach((c: any, i: number) => {
      if (c && typeof c.email === 'string' && c.email !== '' && !isPlausibleEmail(c.email)) {
        errors.push({ path: `$.contacts[${i}].email`, message: `${JSON.stringify(c.email)} is not an email address`, code: 'not_email', params: { value: c.email } });
      }
      if (c && typeof c.name === 'string' && c.name.trim() === '') errors.push({ path: `$.contacts[${i}].name`, message: 'must not be empty', code: 'empty' });
    });
    const [firstYear, lastYear] = RULES.fact_years;
    for (const { key } of RULES.facts) {
      const f = q.facts?.[key];
      if (f && typeof f.value === 'number' && f.value < 0) errors.push({ path: `$.facts.${key}.value`, message: 'must not be negative', code: 'negative' });
      if (f && f.value !== 'n/a' && typeof f.value !== 'number') errors.push({ path: `$.facts.${key}.value`, message: 'a number, or n/a', code: 'not_a_number' });
      if (f && f.year !== 'n/a' && (typeof f.year !== 'number' || f.year < firstYear || f.year > lastYear)) {
        errors.push({ path: `$.facts.${key}.year`, message: `a year from ${firstYear} to ${lastYear}, or n/a`, code: 'year_range', params: { first: firstYear, last: lastYear } });
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
