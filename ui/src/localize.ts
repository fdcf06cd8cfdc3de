// A portrait read in one language (Rust's `Portrait::localized`, src/model/mod.rs): its
// translation where it has one, field by field, the original (English) elsewhere; and the
// names of languages, in the window's language.
import type { Portrait } from './bindings/Portrait';
import type { Translation } from './bindings/Translation';
import { CONTENT_LANG, intlTag, type Locale } from './messages';

/** The text fields a translation covers, in portrait order (Rust's TRANSLATABLE). */
export const TRANSLATABLE = ['tagline', 'lead', 'vision', 'challenges', 'plan', 'quote', 'highlights', 'captions'] as const;
export type Translatable = (typeof TRANSLATABLE)[number];

/** Languages offered for a new translation: UNESCO's six, then others of the network. */
export const TRANSLATION_LANGS = ['fr', 'es', 'ar', 'zh', 'ru', 'pt', 'de', 'it', 'ko', 'ja', 'tr', 'fa', 'el', 'uk'] as const;

export interface Localized {
  portrait: Portrait;
  /** The language shown: the translation's tag, or the original's. */
  lang: string;
  /** The fields shown in the original (present there, not translated). */
  original: Translatable[];
}

const primary = (tag: string) => tag.split('-')[0].toLowerCase();

/** The translation a reader of `lang` gets: the exact tag, else one of the same primary language. */
export function translationFor(p: Portrait, lang: string): [string, Translation] | null {
  if (primary(lang) === CONTENT_LANG) return null;
  const entries = Object.entries(p.translations ?? {}).filter((e): e is [string, Translation] => e[1] != null);
  return entries.find(([k]) => k.toLowerCase() === lang.toLowerCase())
    ?? entries.find(([k]) => primary(k) === primary(lang))
    ?? null;
}

/** The fields of `p` that have text to translate. */
export function presentFields(p: Portrait): Translatable[] {
  return TRANSLATABLE.filter((f) => {
    switch (f) {
      case 'tagline': return p.tagline != null;
      case 'lead': return true;
      case 'vision': case 'challenges': case 'plan': return p[f] != null;
      case 'quote': return p.quote != null;
      case 'highlights': return p.highlights.length > 0;
      case 'captions': return p.photos.some((ph) => ph.caption != null);
    }
  });
}

export function localize(p: Portrait, lang: string): Localized {
  // A copy through JSON: a portrait is JSON data, and may come as a Svelte state proxy, which
  // structuredClone refuses.
  const out: Portrait = JSON.parse(JSON.stringify(p));
  delete out.translations;
  const found = translationFor(p, lang);
  if (!found) return { portrait: out, lang: CONTENT_LANG, original: presentFields(p) };
  const [tag, tr] = found;
  const original: Translatable[] = [];
  for (const f of ['tagline', 'lead', 'vision', 'challenges', 'plan'] as const) {
    if (out[f] == null) continue;
    const v = tr[f];
    if (v != null) out[f] = v;
    else original.push(f);
  }
  if (out.quote) {
    let whole = true;
    if (tr.quote != null) out.quote.text = tr.quote; else whole = false;
    if (out.quote.role != null) { if (tr.quote_role != null) out.quote.role = tr.quote_role; else whole = false; }
    if (!whole) original.push('quote');
  }
  if (out.highlights.length) {
    let whole = true;
    out.highlights = out.highlights.map((h, i) => { const x = tr.highlights?.[i]; if (x == null) whole = false; return x ?? h; });
    if (!whole) original.push('highlights');
  }
  let whole = true;
  out.photos.forEach((ph, i) => {
    if (ph.caption == null) return;
    const x = tr.captions?.[i];
    if (x == null) whole = false; else ph.caption = x;
  });
  if (!whole) original.push('captions');
  original.sort((a, b) => TRANSLATABLE.indexOf(a) - TRANSLATABLE.indexOf(b));
  return { portrait: out, lang: tag, original };
}

/** The language a field is shown in. */
export function langOf(l: Localized, field: Translatable): string {
  return l.original.includes(field) ? CONTENT_LANG : l.lang;
}

/** The language item `i` of a translated list is shown in. */
export function itemLang(p: Portrait, l: Localized, list: 'highlights' | 'captions', i: number): string {
  const found = translationFor(p, l.lang);
  return found && found[1][list]?.[i] != null ? l.lang : CONTENT_LANG;
}

/** A language's name in the window's language: "français", "espagnol"; the tag if unknown. */
export function languageName(tag: string, locale: Locale): string {
  try {
    const name = new Intl.DisplayNames([intlTag(locale)], { type: 'language' }).of(tag);
    return name && name !== tag ? name : tag;
  } catch {
    return tag;
  }
}

/** Whether a translation has nothing in it (every field left to the original). */
export function isEmptyTranslation(t: Translation): boolean {
  const texts = [t.tagline, t.lead, t.vision, t.challenges, t.plan, t.quote, t.quote_role];
  return texts.every((x) => x == null) && [...(t.highlights ?? []), ...(t.captions ?? [])].every((x) => x == null);
}
