// The presentation layer: what the window shows people, in words. No ids, status codes, raw
// timestamps, "1 cities" or transport errors; every sentence comes from ./messages.ts, so a
// translation replaces the words without touching this logic. Pure functions (no DOM), unit-
// tested in tests/present.test.ts.

import type { ErrorCode } from './bindings/ErrorCode';
import type { Fact } from './bindings/Fact';
import type { Identity } from './bindings/Identity';
import type { OutboxStatus } from './bindings/OutboxStatus';
import type { SubmissionStatus } from './bindings/SubmissionStatus';
import type { Warning } from './bindings/Warning';
import type { Portrait } from './bindings/Portrait';
import type { PersonRef } from './bindings/PersonRef';
import { CONTENT_LANG, currentLocale, formatNumberIn, hasMessage, intlTag, slotted, t } from './messages';
import countries from '../../data/i18n/countries.json';
import { languageName } from './localize';
import type { Locale, MessageKey, Params } from './messages';

// ---------------------------------------------------------------------------------------------
// Words from codes

/** "on_hold" → "On hold": a code nobody has worded yet, readable rather than raw. */
export function humanize(code: string): string {
  const words = code
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.\s]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : '';
}

/** A message whose id is built from a code, or the code in readable words. */
function byCode(prefix: string, code: string, locale: Locale): string {
  const key = `${prefix}.${code}`;
  return hasMessage(key, locale) ? t(key, {}, locale) : humanize(code);
}

/** "Changes requested"; a status added later reads as words ("on_hold" → "On hold"). */
export function statusLabel(status: SubmissionStatus | (string & {}), locale: Locale = currentLocale()): string {
  return byCode('status', status, locale);
}

/** "Waiting to send", "Sent", "Failed". */
export function outboxStatusLabel(status: OutboxStatus | (string & {}), locale: Locale = currentLocale()): string {
  return byCode('outbox', status, locale);
}

// ---------------------------------------------------------------------------------------------
// Dates and times

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * A moment from an RFC 3339 string (any number of fractional digits: nanoseconds are cut to
 * milliseconds), epoch milliseconds or a Date; null when it is none. A date without a time
 * ("2016-11-15") is that calendar day at local midnight, so it never shows as the day before.
 */
export function parseMoment(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (typeof value !== 'string') return null;
  const m = RFC3339.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const nums = [y, mo, d].map(Number);
  if (nums[1] < 1 || nums[1] > 12 || nums[2] < 1 || nums[2] > 31) return null;
  if (h === undefined) {
    const local = new Date(nums[0], nums[1] - 1, nums[2]);
    // Rejects 31 Feb and the like (the Date constructor would roll over).
    return local.getDate() === nums[2] ? local : null;
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 60) return null;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  let out: Date;
  if (zone === undefined) {
    out = new Date(nums[0], nums[1] - 1, nums[2], Number(h), Number(mi), Number(s ?? 0), ms);
  } else {
    let offsetMin = 0;
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
    }
    const utc = Date.UTC(nums[0], nums[1] - 1, nums[2], Number(h), Number(mi), Number(s ?? 0), ms);
    out = new Date(utc - offsetMin * 60_000);
  }
  if (Number.isNaN(out.getTime())) return null;
  return new Date(nums[0], nums[1] - 1, nums[2]).getDate() === nums[2] ? out : null;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(locale: Locale, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale}/${withTime}`;
  let f = dateFormats.get(key);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', year: 'numeric' };
    if (withTime) Object.assign(opts, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    dateFormats.set(key, (f = new Intl.DateTimeFormat(intlTag(locale), opts)));
  }
  return f;
}

/** "30 Nov 2026, 11:30" / "30 nov. 2026, 11:30", local time, 24-hour; "unknown time" for what is not a time. */
export function formatDateTime(value: unknown, locale: Locale = currentLocale()): string {
  const d = parseMoment(value);
  return d ? dateFormat(locale, true).format(d) : t('date.unknown_time', {}, locale);
}

/** "30 Nov 2026" / "30 nov. 2026" (local); "unknown date" for what is not a date. */
export function formatDate(value: unknown, locale: Locale = currentLocale()): string {
  const d = parseMoment(value);
  return d ? dateFormat(locale, false).format(d) : t('date.unknown_date', {}, locale);
}

const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();

/**
 * "just now", "5 minutes ago", "1 hour ago", "2 days ago" (Intl: "il y a 5 minutes", "hace 5
 * minutos"); "never" for no time.
 */
export function timeAgo(value: unknown, now: Date = new Date(), locale: Locale = currentLocale()): string {
  const d = value == null ? null : parseMoment(value);
  if (!d) return t('time.never', {}, locale);
  const s = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  if (s < 45) return t('time.just_now', {}, locale);
  let f = relativeFormats.get(locale);
  if (!f) relativeFormats.set(locale, (f = new Intl.RelativeTimeFormat(intlTag(locale), { numeric: 'always' })));
  const m = Math.round(s / 60);
  if (m < 60) return f.format(-m, 'minute');
  const h = Math.round(m / 60);
  if (h < 24) return f.format(-h, 'hour');
  return f.format(-Math.round(h / 24), 'day');
}

// ---------------------------------------------------------------------------------------------
// Counts

export type Countable =
  | 'cities' | 'results' | 'problems' | 'changes' | 'comments' | 'submissions' | 'times'
  | 'pages' | 'updates' | 'fields' | 'versions';

/** "1 city", "44 cities", "1,234 results". */
export function countText(n: number, what: Countable, locale: Locale = currentLocale()): string {
  return t(`count.${what}`, { count: n }, locale);
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Every error code, in ErrorCode's order (the tests check each has a sentence). */
export const ERROR_CODES: readonly ErrorCode[] = [
  'invalid_input', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'idempotency_key_reused', 'too_large', 'gone',
  'timeout', 'method_not_allowed', 'rate_limited', 'busy', 'offline', 'io', 'storage', 'internal',
];

/** What was being done when an error came, for "Couldn't submit: …". */
export type ErrorContext = 'load' | 'save' | 'submit' | 'sync' | 'export' | 'compare' | 'sign_in' | 'decide';

/** Words of a transport library, never shown to people. */
export const TRANSPORT_ERROR = /tcp|os error|connect error|hyper|reqwest|dns|ECONNREFUSED|error sending request/i;

/** Codes whose server message is worth showing when it is a plain sentence. */
const KEEP_MESSAGE: readonly ErrorCode[] = ['invalid_input', 'not_found', 'conflict'];

/**
 * Whether a server's message reads as a sentence for people: no transport details, no JSON
 * paths ("$.facts"), no braces, no quoted codes or ids ("ie-cork", "sub_1"), not a page long.
 */
export function isHumanMessage(message: string | null | undefined): message is string {
  if (!message) return false;
  const m = message.trim();
  if (m.length < 3 || m.length > 300) return false;
  if (TRANSPORT_ERROR.test(m)) return false;
  if (/\$[.[]|[{}]|https?:\/\/\S+:\d+|\b(?:HTTP|status) \d{3}\b/.test(m)) return false;
  if (/["'`][a-z0-9]+(?:[-_][a-z0-9]+)+["'`]/.test(m)) return false;
  return /\p{L}/u.test(m);
}

/** A message as a sentence: first letter up, a full stop at the end. */
function sentence(message: string): string {
  const m = message.trim();
  const up = m[0].toUpperCase() + m.slice(1);
  return /[.!?…]$/.test(up) ? up : `${up}.`;
}

/**
 * An error in words chosen by its code: "Can't reach the server. Your work is saved and will
 * be sent later." For `invalid_input`, `not_found` and `conflict` the server's own message is
 * kept when it already is a sentence for people, and so is the message of an error without a
 * known code. Transport details never show. With a
 * `context`: "Couldn't submit: …".
 */
export function errorText(error: { code: ErrorCode | null | undefined; message: string | null | undefined } | null | undefined, context?: ErrorContext, locale: Locale = currentLocale()): string {
  const code = error?.code;
  let reason: string;
  if (code && KEEP_MESSAGE.includes(code) && isHumanMessage(error?.message)) reason = sentence(error!.message);
  else if (code && hasMessage(`error.${code}`, locale)) reason = t(`error.${code}` as MessageKey, {}, locale);
  else if (isHumanMessage(error?.message)) reason = sentence(error!.message); // no code (or a new one): its words, if they are words
  else reason = t('error.unknown', {}, locale);
  return context ? t(`error.context.${context}`, { reason }, locale) : reason;
}

// ---------------------------------------------------------------------------------------------
// Who is signed in

/** "UIL staff", "Coordinator of Cork" (the city's name, never its id); "Not signed in". */
export function identityText(
  identity: Identity | null | undefined,
  cityName?: (cityId: string) => string | undefined | null,
  locale: Locale = currentLocale(),
): string {
  if (!identity) return t('identity.none', {}, locale);
  if (identity.kind === 'staff') return t('identity.staff', {}, locale);
  const name = identity.cityId ? cityName?.(identity.cityId) : undefined;
  return name ? t('identity.coordinator', { city: name }, locale) : t('identity.coordinator_unknown', {}, locale);
}

// ---------------------------------------------------------------------------------------------
// Field labels

type Segment = string | number;

/** "$.contacts[0].email" → ["contacts", 0, "email"]; "facts.population" → ["facts", "population"]. */
export function pathSegments(path: string): Segment[] {
  const out: Segment[] = [];
  const p = path.trim().replace(/^\$/, '').replace(/^\./, '');
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\[([^\]]*)\]|([^.[\]]+)/g;
  for (const m of p.matchAll(re)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(m[2].replace(/\\(.)/g, '$1'));
    else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) out.push(/^\d+$/.test(m[4]) ? Number(m[4]) : m[4]);
  }
  return out;
}

const FACT_KEYS = ['population', 'area_km2', 'gdp_city_usd', 'gdp_country_usd', 'schooling_years'];
const SECTION_KEYS = ['vision', 'challenges', 'plan'];

/** A message by its id when there is one, else null. */
function maybe(key: string, params: Params, locale: Locale): string | null {
  return hasMessage(key, locale) ? t(key, params, locale) : null;
}

/** The readable fallback: "some_thing[2].other" → "Some thing 3: other". */
function fallbackLabel(segs: Segment[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += ` ${s + 1}`;
    else out += (out ? ': ' : '') + humanize(s).toLowerCase();
  }
  out = out.trim();
  return out ? out[0].toUpperCase() + out.slice(1) : '';
}

/** A fact's label from the rules ("Population"); a fact added later reads as words. */
export function factLabel(key: string, locale: Locale = currentLocale()): string {
  return maybe(`field.fact.${key}`, {}, locale) ?? humanize(key);
}

/** A narrative section's heading ("Vision and motivation"). */
export function sectionLabel(key: string, locale: Locale = currentLocale()): string {
  return maybe(`field.section.${key}`, {}, locale) ?? humanize(key);
}

/** A thematic cluster's name by its id ("health_and_wellbeing" → "Health and well-being"). */
export function clusterName(id: string, locale: Locale = currentLocale()): string {
  return maybe(`cluster.${id}`, {}, locale) ?? humanize(id);
}

/** The person a portrait's `mayor` or `focal_point` names, by name: "Erik Lauritzen". */
export function personName(p: Pick<Portrait, 'quote' | 'contacts'>, ref: PersonRef | null | undefined): string | null {
  if (ref == null) return null;
  if (ref === 'quote') return p.quote?.speaker ?? null;
  return p.contacts[ref.contact]?.name ?? null;
}

/** A Key Feature's name by its number (1–12). */
export function keyFeatureName(n: number, locale: Locale = currentLocale()): string {
  return maybe(`key_feature.${n}`, {}, locale) ?? t('key_feature.unknown', { n }, locale);
}

/** "Contact 1: email": an item of a list and, optionally, one of its parts. */
function itemLabel(itemKey: MessageKey, index: number, part: Segment[], locale: Locale): string {
  const item = t(itemKey, { n: index + 1 }, locale);
  if (part.length === 0) return item;
  const [p, ...rest] = part;
  const named = typeof p === 'string' ? maybe(`field.part.${p}`, {}, locale) : null;
  const partText = named ? (rest.length ? `${named} ${fallbackLabel(rest).toLowerCase()}` : named) : fallbackLabel(part).toLowerCase();
  return t('field.item_part', { item, part: partText }, locale);
}

/** "translations.fr.lead" → "Lead paragraph (French)"; "translations.fr" → "French translation". */
function translationLabel(rest: Segment[], locale: Locale, withLanguage = true): string | null {
  if (rest.length === 0) return t('field.translations', {}, locale);
  const [tag, field, ...more] = rest;
  if (typeof tag !== 'string') return null;
  const language = languageName(tag, locale);
  if (field === undefined) return t('field.translation', { language }, locale);
  if (typeof field !== 'string') return null;
  let label: string | null = null;
  if (field === 'quote' && more.length === 0) label = t('field.quote.text', {}, locale);
  else if (field === 'quote_role' && more.length === 0) label = t('field.quote.role', {}, locale);
  else if (field === 'captions') {
    label = more.length === 0 ? t('field.captions', {}, locale)
      : typeof more[0] === 'number' && more.length === 1 ? t('field.caption', { n: more[0] + 1 }, locale) : null;
  } else if (field === 'highlights') {
    label = more.length === 0 ? t('field.highlights', {}, locale)
      : typeof more[0] === 'number' && more.length === 1 ? t('field.highlight', { n: more[0] + 1 }, locale) : null;
  } else if (more.length === 0) label = fieldLabel(field, locale);
  if (label == null || !withLanguage) return label;
  return t('field.translated', { field: label, language }, locale);
}

/** A translation's fields in words: "Lead paragraph: …; Highlight 2: …". */
function translationText(tr: Record<string, unknown>, tag: string, locale: Locale): string {
  const sep = t('value.list_separator', {}, locale);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(tr)) {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        if (typeof x === 'string') parts.push(t('value.pair', { key: translationLabel([tag, k, i], locale, false) ?? k, value: x }, locale));
      });
    } else if (typeof v === 'string') {
      parts.push(t('value.pair', { key: translationLabel([tag, k], locale, false) ?? k, value: v }, locale));
    }
  }
  return parts.join(sep) || t('value.empty', {}, locale);
}

const LISTS: Record<string, MessageKey> = {
  contacts: 'field.contact',
  highlights: 'field.highlight',
  photos: 'field.photo',
  key_feature_areas: 'field.key_feature_area',
  interests: 'field.interest',
  cities: 'field.booklet_city',
};

/**
 * A field of a portrait in words, for a diff row or a validation error: "facts.population" →
 * "Population", "$.facts.population.year" → "Population (year)", "vision" or
 * "sections.vision" → "Vision and motivation", "contacts[0].email" → "Contact 1: email",
 * "photos[1].caption" → "Photo 2: caption". Any other path reads as words, never a crash.
 */
export function fieldLabel(path: string | null | undefined, locale: Locale = currentLocale()): string {
  let segs = pathSegments(path ?? '');
  if (segs[0] === 'portrait' && segs.length > 1) segs = segs.slice(1); // "$.portrait.photos[0]…" in a request
  if (segs.length === 0) return t('field.document', {}, locale);
  const [head, ...rest] = segs;
  if (typeof head !== 'string') return fallbackLabel(segs);

  if (head === 'facts') {
    if (rest.length === 0) return t('field.facts', {}, locale);
    const [key, part, ...more] = rest;
    if (typeof key !== 'string') return fallbackLabel(segs);
    const label = factLabel(key, locale);
    if (part === undefined || part === 'value') return more.length ? fallbackLabel(segs) : label;
    const withPart = typeof part === 'string' ? maybe(`field.fact_part.${part}`, { fact: label }, locale) : null;
    return withPart && more.length === 0 ? withPart : `${label}: ${fallbackLabel([part, ...more]).toLowerCase()}`;
  }
  if (head === 'translations') return translationLabel(rest, locale) ?? fallbackLabel(segs);
  if (head === 'sections' && typeof rest[0] === 'string' && rest.length === 1) return sectionLabel(rest[0], locale);
  if (SECTION_KEYS.includes(head) && rest.length === 0) return sectionLabel(head, locale);
  if (Object.hasOwn(LISTS, head)) {
    if (rest.length === 0) return maybe(`field.${head}`, {}, locale) ?? fallbackLabel(segs);
    const [index, ...part] = rest;
    if (typeof index === 'number') return itemLabel(LISTS[head], index, part, locale);
    return fallbackLabel(segs);
  }
  if (head === 'city' && rest[0] === 'awards' && typeof rest[1] === 'number' && rest.length === 2) {
    return t('field.city.award', { n: rest[1] + 1 }, locale);
  }
  // A dotted path with its own label: "quote.text", "city.country.name", "source.published".
  if (segs.every((s) => typeof s === 'string')) {
    const own = maybe(`field.${segs.join('.')}`, {}, locale);
    if (own) return own;
    // "quote.text.extra": the longest labelled start, then the rest in words.
    for (let n = segs.length - 1; n >= 1; n--) {
      const start = maybe(`field.${segs.slice(0, n).join('.')}`, {}, locale);
      if (start) return `${start}: ${fallbackLabel(segs.slice(n)).toLowerCase()}`;
    }
  }
  return fallbackLabel(segs);
}

// ---------------------------------------------------------------------------------------------
// Values

function isFact(v: unknown): v is Fact {
  return !!v && typeof v === 'object' && !Array.isArray(v) && 'value' in v && 'year' in v;
}

function numberText(v: unknown, locale: Locale): string {
  if (v === 'n/a' || v == null) return t('value.na', {}, locale);
  return typeof v === 'number' ? formatNumberIn(v, locale) : String(v);
}

/** A fact as the booklets print it: "289,739 (2015)", "men 11.2, women 11.9 (2015)", "n/a". */
export function formatFactValue(fact: Fact | null | undefined, locale: Locale = currentLocale()): string {
  if (!fact) return t('value.na', {}, locale);
  let value: string;
  if (fact.value !== 'n/a') value = numberText(fact.value, locale);
  else if (fact.men != null && fact.women != null) {
    value = t('value.split', { men: formatNumberIn(fact.men, locale), women: formatNumberIn(fact.women, locale) }, locale);
  } else return t('value.na', {}, locale);
  if (fact.year === 'n/a' || fact.year == null) return t('value.fact_no_year', { value }, locale);
  return t('value.fact', { value, year: fact.year }, locale);
}

/** Whether a diff value is "nothing": null, "", [], {}. */
function isEmpty(v: unknown): boolean {
  if (v == null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/** Keys whose numbers are years or versions: written without digit grouping. */
const PLAIN_NUMBER = /(^|\.)(year|member_since|version|baseVersion|publishedVersion|schema_version|awards|interest|expertise)$/;

/** A value of any shape in words, never JSON: "name: Ann; email: ann@example.org". */
function summarize(v: unknown, path: string, locale: Locale, depth = 0): string {
  if (isEmpty(v)) return t('value.empty', {}, locale);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return PLAIN_NUMBER.test(path) ? String(v) : formatNumberIn(v, locale);
  if (typeof v === 'boolean') return t(v ? 'value.yes' : 'value.no', {}, locale);
  const sep = t('value.list_separator', {}, locale);
  if (depth > 3) return t('value.more', {}, locale);
  if (Array.isArray(v)) return v.map((x) => summarize(x, path, locale, depth + 1)).join(sep);
  if (isFact(v)) return formatFactValue(v, locale);
  const o = v as Record<string, unknown>;
  if (typeof o.name === 'string' && 'country' in o) return o.name; // a city
  return Object.entries(o)
    .filter(([, x]) => !isEmpty(x))
    .map(([k, x]) => t('value.pair', { key: humanize(k).toLowerCase(), value: summarize(x, `${path}.${k}`, locale, depth + 1) }, locale))
    .join(sep) || t('value.empty', {}, locale);
}

function quoteText(q: Record<string, unknown>, locale: Locale): string {
  const text = String(q.text ?? '');
  const speaker = String(q.speaker ?? '');
  return q.role ? t('value.quote_role', { text, speaker, role: String(q.role) }, locale) : t('value.quote', { text, speaker }, locale);
}

function contactText(c: Record<string, unknown>, locale: Locale): string {
  return ['name', 'role', 'organisation', 'email'].map((k) => c[k]).filter((x) => typeof x === 'string' && x.trim() !== '').join(', ')
    || t('value.empty', {}, locale);
}

function photoText(p: Record<string, unknown>, locale: Locale): string {
  const caption = typeof p.caption === 'string' && p.caption.trim() ? p.caption : t('value.no_caption', {}, locale);
  return typeof p.credit === 'string' && p.credit.trim() ? t('value.photo_credit', { caption, credit: p.credit }, locale) : caption;
}

/**
 * A diff value in words, for the field at `path`: facts as "289,739 (2015)", Key Feature
 * numbers as their names, texts as they are, nothing as "(empty)", lists one item a line,
 * contacts, quotes and photos in words. Never JSON.
 */
export function formatFieldValue(path: string, value: unknown, locale: Locale = currentLocale()): string {
  if (isEmpty(value)) return t('value.empty', {}, locale);
  const segs = pathSegments(path);
  const [head, second, third] = segs;
  const obj = (x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null);
  const lines = (items: unknown[], one: (x: unknown) => string) => items.map(one).join('\n');

  if (head === 'facts') {
    if (second === undefined && obj(value)) {
      return Object.entries(obj(value)!).map(([k, f]) => t('value.pair', { key: factLabel(k, locale), value: isFact(f) ? formatFactValue(f, locale) : summarize(f, path, locale) }, locale)).join('\n');
    }
    if (typeof second === 'string' && isFact(value)) return formatFactValue(value, locale);
    if (third === 'value' || third === 'men' || third === 'women') return numberText(value, locale);
    if (third === 'year') return value === 'n/a' ? t('value.na', {}, locale) : String(value);
  }
  if (head === 'translations' && obj(value)) {
    const one = (tag: string, tr: unknown) => (obj(tr)
      ? t('value.pair', { key: languageName(tag, locale), value: translationText(obj(tr)!, tag, locale) }, locale)
      : summarize(tr, path, locale));
    if (second === undefined) return Object.entries(obj(value)!).map(([tag, tr]) => one(tag, tr)).join('\n');
    if (typeof second === 'string' && third === undefined) return one(second, value);
  }
  if (head === 'key_feature_areas') {
    const name = (x: unknown) => (typeof x === 'number' ? keyFeatureName(x, locale) : summarize(x, path, locale));
    return Array.isArray(value) ? lines(value, name) : name(value);
  }
  if (head === 'quote' && second === undefined && obj(value)) return quoteText(obj(value)!, locale);
  if (head === 'clusters' && Array.isArray(value)) return lines(value, (x) => (typeof x === 'string' ? clusterName(x, locale) : summarize(x, path, locale)));
  if (head === 'interests' && third === undefined) {
    const one = (x: unknown) => {
      const o = obj(x);
      return o && typeof o.theme === 'string'
        ? t('value.interest', { theme: clusterName(o.theme, locale), interest: String(o.interest), expertise: String(o.expertise) }, locale)
        : summarize(x, path, locale);
    };
    return Array.isArray(value) ? lines(value, one) : one(value);
  }
  if (head === 'location' && second === undefined && obj(value)) {
    const o = obj(value)!;
    return t('value.location', { lat: String(o.lat), lon: String(o.lon) }, locale);
  }
  if ((head === 'mayor' || head === 'focal_point') && second === undefined) {
    if (value === 'quote') return t('value.ref_quote', {}, locale);
    const o = obj(value);
    if (o && typeof o.contact === 'number') return t('value.ref_contact', { n: o.contact + 1 }, locale);
  }
  if (head === 'contacts' && third === undefined) {
    const one = (x: unknown) => (obj(x) ? contactText(obj(x)!, locale) : summarize(x, path, locale));
    return Array.isArray(value) ? lines(value, one) : one(value);
  }
  if (head === 'photos' && third === undefined) {
    const one = (x: unknown) => (obj(x) ? photoText(obj(x)!, locale) : summarize(x, path, locale));
    return Array.isArray(value) ? lines(value, one) : one(value);
  }
  if (head === 'highlights' && Array.isArray(value)) return lines(value, (x) => summarize(x, path, locale));
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return lines(value, (x) => summarize(x, path, locale));
  return summarize(value, segs.filter((s) => typeof s === 'string').join('.'), locale);
}

/** A data-quality warning in words: its field's label, not its key. */
export function warningText(w: Pick<Warning, 'code' | 'path' | 'message'>, locale: Locale = currentLocale()): string {
  // The message speaks of the figure or its year itself: the fact's label is enough.
  const field = fieldLabel(w.path.replace(/\.(value|year)$/, ''), locale);
  const worded = maybe(`warning.${w.code}`, { field }, locale);
  if (worded) return worded;
  const m = w.message.trim();
  return m ? m[0].toUpperCase() + m.slice(1) : fieldLabel(w.path, locale);
}

// ---------------------------------------------------------------------------------------------
// Word diff

export type DiffKind = 'same' | 'added' | 'removed';
export interface DiffSegment {
  text: string;
  kind: DiffKind;
}

export interface WordDiffOptions {
  /**
   * Above this many token pairs (before × after, after the common start and end are cut), a
   * diff goes by lines first and refines only the changed lines that are small enough; a
   * change larger still is shown as one removal and one addition.
   */
  maxCells?: number;
}

/** About 5,000 × 5,000 tokens. */
export const WORD_DIFF_MAX_CELLS = 25_000_000;

/** Words and the whitespace between them, as tokens; punctuation stays with its word. */
function words(text: string): string[] {
  return text.match(/\s+|\S+/g) ?? [];
}

/** Lines, each with its line break. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+/g) ?? [];
}

type Op = [kind: DiffKind, aFrom: number, aTo: number, bFrom: number, bTo: number];

/**
 * Myers' O(ND) diff in linear space (the middle snake, divide and conquer), over integer
 * tokens. Appends ops over the ranges a[a0, a1) and b[b0, b1).
 */
function myers(a: Int32Array, b: Int32Array, a0: number, a1: number, b0: number, b1: number, out: Op[]): void {
  // Common start and end.
  let pre = 0;
  while (a0 + pre < a1 && b0 + pre < b1 && a[a0 + pre] === b[b0 + pre]) pre++;
  if (pre) out.push(['same', a0, a0 + pre, b0, b0 + pre]);
  a0 += pre;
  b0 += pre;
  let suf = 0;
  while (a1 - suf > a0 && b1 - suf > b0 && a[a1 - suf - 1] === b[b1 - suf - 1]) suf++;
  const tail: Op | null = suf ? ['same', a1 - suf, a1, b1 - suf, b1] : null;
  a1 -= suf;
  b1 -= suf;
  if (a0 === a1 && b0 < b1) out.push(['added', a0, a0, b0, b1]);
  else if (b0 === b1 && a0 < a1) out.push(['removed', a0, a1, b0, b0]);
  else if (a0 < a1) {
    const split = middleSnake(a, b, a0, a1, b0, b1);
    if (split && !(split[0] === a0 && split[1] === b0) && !(split[0] === a1 && split[1] === b1)) {
      myers(a, b, a0, split[0], b0, split[1], out);
      myers(a, b, split[0], a1, split[1], b1, out);
    } else {
      out.push(['removed', a0, a1, b0, b0], ['added', a1, a1, b0, b1]);
    }
  }
  if (tail) out.push(tail);
}

/** The point where a shortest edit script crosses its middle (after diff-match-patch's bisect). */
function middleSnake(a: Int32Array, b: Int32Array, a0: number, a1: number, b0: number, b1: number): [number, number] | null {
  const n = a1 - a0;
  const m = b1 - b0;
  const maxD = Math.ceil((n + m) / 2);
  const off = maxD;
  const len = 2 * maxD + 2;
  const v1 = new Int32Array(len).fill(-1);
  const v2 = new Int32Array(len).fill(-1);
  v1[off + 1] = 0;
  v2[off + 1] = 0;
  const delta = n - m;
  const front = delta % 2 !== 0;
  let k1start = 0, k1end = 0, k2start = 0, k2end = 0;
  for (let d = 0; d < maxD; d++) {
    for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
      const i = off + k1;
      let x1 = k1 === -d || (k1 !== d && v1[i - 1] < v1[i + 1]) ? v1[i + 1] : v1[i - 1] + 1;
      let y1 = x1 - k1;
      while (x1 < n && y1 < m && a[a0 + x1] === b[b0 + y1]) { x1++; y1++; }
      v1[i] = x1;
      if (x1 > n) k1end += 2;
      else if (y1 > m) k1start += 2;
      else if (front) {
        const j = off + delta - k1;
        if (j >= 0 && j < len && v2[j] !== -1 && x1 >= n - v2[j]) return [a0 + x1, b0 + y1];
      }
    }
    for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
      const i = off + k2;
      let x2 = k2 === -d || (k2 !== d && v2[i - 1] < v2[i + 1]) ? v2[i + 1] : v2[i - 1] + 1;
      let y2 = x2 - k2;
      while (x2 < n && y2 < m && a[a1 - x2 - 1] === b[b1 - y2 - 1]) { x2++; y2++; }
      v2[i] = x2;
      if (x2 > n) k2end += 2;
      else if (y2 > m) k2start += 2;
      else if (!front) {
        const j = off + delta - k2;
        if (j >= 0 && j < len && v1[j] !== -1) {
          const x1 = v1[j];
          const y1 = off + x1 - j;
          if (x1 >= n - x2) return [a0 + x1, b0 + y1];
        }
      }
    }
  }
  return null;
}

/** Tokens as integers (equal tokens, equal numbers) for both texts. */
function intern(a: string[], b: string[]): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const id = (s: string) => {
    let n = ids.get(s);
    if (n === undefined) ids.set(s, (n = ids.size));
    return n;
  };
  return [Int32Array.from(a, id), Int32Array.from(b, id)];
}

/** The changed/kept runs of two token lists, as segments (not yet tidied). */
function diffTokens(a: string[], b: string[], maxCells: number, refine: ((a: string, b: string) => DiffSegment[]) | null): DiffSegment[] {
  const [ia, ib] = intern(a, b);
  // The size that matters is what is left once the common start and end are cut.
  let pre = 0;
  while (pre < ia.length && pre < ib.length && ia[pre] === ib[pre]) pre++;
  let suf = 0;
  while (suf < ia.length - pre && suf < ib.length - pre && ia[ia.length - 1 - suf] === ib[ib.length - 1 - suf]) suf++;
  const out: DiffSegment[] = [];
  const join = (list: string[], from: number, to: number) => list.slice(from, to).join('');
  if ((ia.length - pre - suf) * (ib.length - pre - suf) > maxCells) {
    out.push({ kind: 'same', text: join(a, 0, pre) });
    const ra = join(a, pre, a.length - suf);
    const rb = join(b, pre, b.length - suf);
    if (refine) out.push(...refine(ra, rb));
    else out.push({ kind: 'removed', text: ra }, { kind: 'added', text: rb });
    out.push({ kind: 'same', text: join(a, a.length - suf, a.length) });
    return out;
  }
  const ops: Op[] = [];
  myers(ia, ib, 0, ia.length, 0, ib.length, ops);
  for (const [kind, af, at, bf, bt] of ops) {
    out.push({ kind, text: kind === 'added' ? join(b, bf, bt) : join(a, af, at) });
  }
  return out;
}

/**
 * Tidies segments: drops empty ones, turns whitespace kept between two changes into part of
 * the change ("a b" → "c d" is one removal and one addition, not four pieces around a space),
 * and writes each run of changes as one removal followed by one addition.
 */
function tidy(segments: DiffSegment[]): DiffSegment[] {
  const s = segments.filter((x) => x.text !== '');
  for (let i = 1; i < s.length - 1; i++) {
    if (s[i].kind === 'same' && /^\s+$/.test(s[i].text) && s[i - 1].kind !== 'same' && s[i + 1].kind !== 'same') {
      s.splice(i, 1, { kind: 'removed', text: s[i].text }, { kind: 'added', text: s[i].text });
      i++;
    }
  }
  const out: DiffSegment[] = [];
  let removed = '';
  let added = '';
  const flush = () => {
    if (removed) out.push({ kind: 'removed', text: removed });
    if (added) out.push({ kind: 'added', text: added });
    removed = added = '';
  };
  for (const x of s) {
    if (x.kind === 'removed') removed += x.text;
    else if (x.kind === 'added') added += x.text;
    else {
      flush();
      const last = out[out.length - 1];
      if (last?.kind === 'same') last.text += x.text;
      else out.push({ ...x });
    }
  }
  flush();
  return out;
}

/** The larger side of the run of changes starting at `from` and going by `step`. */
function changeSize(list: DiffSegment[], from: number, step: 1 | -1): number {
  let removed = 0;
  let added = 0;
  for (let j = from; j >= 0 && j < list.length && list[j].kind !== 'same'; j += step) {
    if (list[j].kind === 'removed') removed += list[j].text.length;
    else added += list[j].text.length;
  }
  return Math.max(removed, added);
}

/**
 * Folds a kept piece that is no longer than the changes on both its sides into them (as
 * diff-match-patch's semantic cleanup does): two unrelated paragraphs read as one removal and
 * one addition, not as a sieve of "the", "of" and "is" they happen to share.
 */
function foldSmallSames(segments: DiffSegment[]): DiffSegment[] {
  let s = segments;
  for (let pass = 0; pass < 8; pass++) {
    let folded = false;
    const out: DiffSegment[] = [];
    for (let i = 0; i < s.length; i++) {
      const x = s[i];
      if (x.kind === 'same' && out.length && out[out.length - 1].kind !== 'same' && i + 1 < s.length) {
        const n = x.text.length;
        if (n <= changeSize(out, out.length - 1, -1) && n <= changeSize(s, i + 1, 1)) {
          out.push({ kind: 'removed', text: x.text }, { kind: 'added', text: x.text });
          folded = true;
          continue;
        }
      }
      out.push(x);
    }
    s = tidy(out);
    if (!folded) break;
  }
  return s;
}

/**
 * A word-level diff of two texts: joining the 'same' and 'removed' segments gives `before`
 * exactly, 'same' and 'added' gives `after`. Whitespace and punctuation stay with the words.
 * Fast for texts of thousands of words; above `maxCells` token pairs it diffs by lines first.
 */
export function wordDiff(before: string, after: string, options: WordDiffOptions = {}): DiffSegment[] {
  const maxCells = options.maxCells ?? WORD_DIFF_MAX_CELLS;
  const a = before ?? '';
  const b = after ?? '';
  if (a === b) return a ? [{ kind: 'same', text: a }] : [];
  // Too big for words: by lines, then words within each changed block that is small enough,
  // and one removal and addition for a block larger still.
  const byWords = (x: string, y: string): DiffSegment[] =>
    diffTokens(words(x), words(y), maxCells, null);
  const byLines = (x: string, y: string): DiffSegment[] => {
    const raw = diffTokens(lines(x), lines(y), maxCells, null);
    const out: DiffSegment[] = [];
    for (let i = 0; i < raw.length; ) {
      if (raw[i].kind === 'same') { out.push(raw[i++]); continue; }
      let ra = '';
      let rb = '';
      while (i < raw.length && raw[i].kind !== 'same') {
        if (raw[i].kind === 'removed') ra += raw[i].text; else rb += raw[i].text;
        i++;
      }
      out.push(...byWords(ra, rb));
    }
    return out;
  };
  return foldSmallSames(tidy(diffTokens(words(a), words(b), maxCells, byLines)));
}

/**
 * The two sides of a changed field for display: texts word by word (removed words marked on
 * the left, added ones on the right), any other value in words as a whole.
 */
export function diffSides(field: string, before: unknown, after: unknown, locale: Locale = currentLocale()): { before: DiffSegment[]; after: DiffSegment[] } {
  const text = (v: unknown) => v == null || typeof v === 'string';
  if (text(before) && text(after) && (before || after)) {
    const segs = wordDiff((before as string | null) ?? '', (after as string | null) ?? '');
    return { before: segs.filter((s) => s.kind !== 'added'), after: segs.filter((s) => s.kind !== 'removed') };
  }
  const [b, a] = [formatFieldValue(field, before, locale), formatFieldValue(field, after, locale)];
  const empty = t('value.empty', {}, locale);
  return {
    before: [{ kind: b === empty ? 'same' : 'removed', text: b }],
    after: [{ kind: a === empty ? 'same' : 'added', text: a }],
  };
}

// ---------------------------------------------------------------------------------------------
// Places

const COUNTRY_NAMES = (countries as { countries: Record<string, Partial<Record<Locale, string>>> }).countries;

/**
 * A country's name in the window's language, from its ISO code (data/i18n/countries.json, the
 * booklets' list); English, and a code the list lacks, keep the data's own name.
 */
export function countryName(country: { code: string; name: string } | null | undefined, locale: Locale = currentLocale()): string {
  if (!country) return '';
  if (locale === 'en') return country.name;
  return COUNTRY_NAMES[country.code?.toUpperCase()]?.[locale] ?? country.name;
}

/** One of UNESCO's five regions in the window's language ("Arab States" → "États arabes"). */
export function regionName(region: string | null | undefined, locale: Locale = currentLocale()): string {
  if (!region) return '';
  return maybe(`region.${region}`, {}, locale) ?? region;
}

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * A field error's problem in the window's language. Rust sends a code and its parameters
 * (`too_long` with `{count, max}`) beside its English message; the window words the code
 * (messages `invalid.<code>`) and keeps the message only for a code it does not know yet.
 */
export function fieldErrorText(
  e: { message: string; code?: string | null; params?: Record<string, string | number> | null },
  locale: Locale = currentLocale(),
): string {
  if (e.code) {
    // Counts and limits are written the language's way ("20 000"); years and values as given.
    const params: Params = {};
    for (const [k, v] of Object.entries(e.params ?? {})) {
      params[k] = typeof v === 'number' && ['count', 'max', 'size', 'limit'].includes(k) ? formatNumberIn(v, locale) : v;
    }
    const worded = maybe(`invalid.${e.code}`, params, locale);
    if (worded) return worded;
  }
  return e.message;
}

// ---------------------------------------------------------------------------------------------
// Sentences that hold a portrait's own words

/** A piece of a sentence: the window's words, or a portrait's own (to be marked `lang`). */
export interface Piece {
  text: string;
  content: boolean;
}

/**
 * A message cut where its `content` parameters go, so each portrait word can be marked with
 * its language while the sentence around it is the window's: "Les deux écrivent sur : " +
 * [learning, literacy].
 */
export function pieces(key: MessageKey, params: Params, content: readonly string[], locale: Locale = currentLocale()): Piece[] {
  const slots = content.filter((name) => name in params);
  return slotted(key, params, slots, locale).map((p) => (p.slot ? { text: String(params[p.slot]), content: true } : { text: p.text, content: false }));
}

/** Numbers of a coded message (counts, figures) written the language's way; years as they are. */
function numbersIn(params: Record<string, string | number> | null | undefined, keep: readonly string[], locale: Locale): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    const n = typeof v === 'number' ? v : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : null;
    out[k] = n !== null && !keep.includes(k) ? formatNumberIn(n, locale) : v;
  }
  return out;
}

/** Why two cities go together, from Rust's kind and parameters; the detail for an unknown kind. */
export function reasonPieces(r: { kind: string; detail: string; params?: Record<string, string | number> | null }, locale: Locale = currentLocale()): Piece[] {
  const p = r.params ?? {};
  const list = (v: unknown) => String(v ?? '').split(',').filter(Boolean);
  const sep = t('value.list_separator', {}, locale);
  switch (r.kind) {
    case 'themes':
      if (p.words != null) return pieces('reason.themes', { words: p.words }, ['words'], locale);
      break;
    case 'passage':
      if (p.passage != null) return pieces('reason.passage', p, ['city', 'passage', 'other_city', 'other_passage'], locale);
      break;
    case 'key_features':
      if (p.features != null) {
        const names = list(p.features).map((n) => t('reason.key_feature', { n, name: keyFeatureName(Number(n), locale) }, locale));
        return pieces('reason.key_features', { features: names.join(sep) }, [], locale);
      }
      break;
    case 'clusters':
      if (p.clusters != null) return pieces('reason.clusters', { clusters: list(p.clusters).map((c) => clusterName(c, locale)).join(sep) }, [], locale);
      break;
    case 'interests':
      if (p.cluster != null) return pieces('reason.interests', { ...p, cluster: clusterName(String(p.cluster), locale) }, ['city', 'other_city'], locale);
      break;
    case 'facts':
      if (p.fact === 'population' || p.fact === 'gdp') {
        return pieces(p.fact === 'gdp' ? 'reason.facts_gdp' : 'reason.facts_population', numbersIn(p, [], locale), [], locale);
      }
      break;
  }
  return [{ text: r.detail, content: true }];
}

/** A data-quality warning in pieces: the window's words, and a portrait's own (a copied passage). */
export function warningPieces(w: Pick<Warning, 'code' | 'path' | 'message'> & { params?: Record<string, string | number> | null }, locale: Locale = currentLocale()): Piece[] {
  const field = fieldLabel(w.path.replace(/\.(value|year)$/, ''), locale);
  const p = numbersIn(w.params, ['year', 'limit'], locale);
  switch (w.code) {
    case 'density':
      if (p.side === 'high' || p.side === 'low') return pieces(p.side === 'high' ? 'warning.density_high' : 'warning.density_low', p, [], locale);
      break;
    case 'gdp_ratio':
    case 'future_year':
      if (w.params && Object.keys(w.params).length) return pieces(`warning.${w.code}`, { ...p, field }, [], locale);
      break;
    case 'printed_form':
      if (p.printed != null) return pieces('warning.printed_form', { ...p, field, value: p.value === 'n/a' ? t('value.na', {}, locale) : p.value }, ['printed'], locale);
      break;
    case 'country_gdp_mismatch':
      if (w.params?.country != null) {
        const code = String(w.params.country);
        return pieces('warning.country_gdp_mismatch', { ...p, country: countryName({ code, name: code }, locale) }, [], locale);
      }
      break;
    case 'copied_text':
      if (p.passage != null) {
        const their = String(w.params?.their_field ?? '');
        return pieces('warning.copied_text', { ...p, field, their_field: their ? fieldLabel(their, locale) : field }, ['city', 'passage'], locale);
      }
      break;
  }
  return [{ text: warningText(w, locale), content: false }];
}

/** What the running sync is doing ("Downloading the catalogue from …"), from its phase. */
export function syncPhaseText(status: { phase: string | null; message: string | null; feed: string | null }, locale: Locale = currentLocale()): string {
  if (status.phase && hasMessage(`sync.phase.${status.phase}`)) return t(`sync.phase.${status.phase}` as MessageKey, { feed: status.feed ?? '' }, locale);
  return status.message ?? '';
}

/** The answer to "Sync now", from its code. */
export function syncRequestText(r: { code?: string | null; message: string; feed?: string | null; running_secs?: number | null; phase?: string | null }, locale: Locale = currentLocale()): string {
  if (r.code === 'started') return t('sync.request.started', { feed: r.feed ?? '' }, locale);
  if (r.code === 'already_syncing') {
    const params = { feed: r.feed ?? '', seconds: r.running_secs ?? 0 };
    const doing = r.phase ? syncPhaseText({ phase: r.phase, message: null, feed: r.feed ?? null }, locale) : '';
    return doing ? t('sync.request.already_syncing_doing', { ...params, doing }, locale) : t('sync.request.already_syncing', params, locale);
  }
  if (r.code === 'no_feed') return t('sync.request.no_feed', {}, locale);
  return r.message;
}

/**
 * The language of a diff's words: the portraits' (CONTENT_LANG) when the values are texts of a
 * portrait (a lead, a caption, a name), none when the window words them itself (figures, Key
 * Features, lists, "(empty)").
 */
export function diffLang(...values: unknown[]): string | undefined {
  const texts = values.filter((v) => v != null);
  return texts.length > 0 && texts.every((v) => typeof v === 'string' && v.trim() !== '') ? CONTENT_LANG : undefined;
}
