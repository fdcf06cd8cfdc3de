// The window's words: `t`, which gives a message of ../messages/<part>/<locale>.json in the
// window's language, and the language formats (numbers, dates) every screen shares.
//
// The messages are compiled by Paraglide JS 2 (inlang message format; scripts/gen-messages.mjs,
// which also fails the build when a language lacks a message or a placeholder) into
// ./paraglide. Paraglide's message functions read the language from its runtime's `getLocale`,
// which ./i18n.svelte.ts points at a Svelte state: a template that shows a message is redrawn
// when the language changes. Without the window (unit tests, Node) the language is English.
//
// Labels that Rust owns (facts, sections, Key Features; ./rules.ts, generated) are English in
// messages/common/en.json; a unit test checks they are the rules' words.

import { m } from './paraglide/messages.js';
import { getLocale, locales, baseLocale, isLocale } from './paraglide/runtime.js';

/** A language of the window: `en`, `fr` or `es`. */
export type Locale = (typeof locales)[number];
export const LOCALES: readonly Locale[] = locales;
export const DEFAULT_LOCALE: Locale = baseLocale;

/** Every language in its own words, for the language menu. */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = { en: 'English', fr: 'Français', es: 'Español' };

/** The first of `preferred` (BCP 47 tags, best first) that the window speaks: "fr-CA" → fr. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const lang = tag.toLowerCase().split(/[-_]/)[0];
    if (isLocale(lang)) return lang;
  }
  return DEFAULT_LOCALE;
}

/**
 * The language the portraits' text is written in (until a portrait carries translations). An
 * element that shows a portrait's own words (tagline, lead, sections, quote, captions, names of
 * places as the data writes them) says so with `lang={CONTENT_LANG}`: screen readers read it in
 * English inside a French window, and the browser tests tell it from the window's own words.
 */
export const CONTENT_LANG = 'en';

/** A message id. */
export type MessageKey = keyof typeof m;

/** The values of a message's {placeholders}; `count` also selects the plural form. */
export type Params = Record<string, string | number>;

/** The window's language now (a Svelte dependency inside a component). */
export function currentLocale(): Locale {
  return getLocale();
}

/** Whether `key` is a message id (for keys built at run time, e.g. from a status code). */
export function hasMessage(key: string, _locale?: Locale): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(m, key);
}

/**
 * The message `key` in `locale` (the window's language when not given), its {placeholders}
 * filled from `params`. A plural message picks its form by `params.count` (the language's CLDR
 * rules) and writes the count with the language's digit grouping ("1,234", "1 234").
 */
export function t(key: MessageKey, params: Params = {}, locale: Locale = getLocale()): string {
  const message = m[key] as (inputs: Params, options: { locale: Locale }) => string;
  return message(params, { locale });
}

/** The BCP 47 tag `Intl` formats with: the network writes British English ("30 Nov 2026"). */
export function intlTag(locale: Locale = getLocale()): string {
  return locale === 'en' ? 'en-GB' : locale;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

/**
 * A number as the language writes it: 80,006 / 80 006 / 80.006; decimals kept as given
 * (3499.8 → "3,499.8", "3 499,8"). Spanish leaves four digits ungrouped (8006), as `Intl` does.
 */
export function formatNumberIn(v: number, locale: Locale = getLocale()): string {
  const tag = intlTag(locale);
  let f = numberFormats.get(tag);
  if (!f) numberFormats.set(tag, (f = new Intl.NumberFormat(tag, { maximumFractionDigits: 20 })));
  return f.format(v);
}

/**
 * A message cut at its `slots` placeholders, so a template can put an element in each (a link,
 * a portrait's words marked with their language): pieces of text, and the slots by name.
 */
export function slotted(key: MessageKey, params: Params, slots: readonly string[], locale: Locale = getLocale()): { text: string; slot: string | null }[] {
  const marked: Params = { ...params };
  slots.forEach((name, i) => (marked[name] = `\u0000${i}\u0000`));
  return t(key, marked, locale)
    .split('\u0000')
    .map((text, i) => (i % 2 ? { text: '', slot: slots[Number(text)] } : { text, slot: null }))
    .filter((p) => p.slot !== null || p.text !== '');
}
