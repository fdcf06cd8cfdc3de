// Small pure helpers the screens share (unit-tested with Vitest).

import type { CityFilter } from './host';
import { RULES } from './rules';
import { currentLocale, formatNumberIn, t, type Locale } from './messages';

// Letters that Unicode does not decompose, folded as Rust's model::fold does (ø → o, ı → i …).
const EXTRA_FOLDS: Record<string, string> = { ø: 'o', Ø: 'O', ı: 'i', ł: 'l', Ł: 'L', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ß: 'ss', đ: 'd', Đ: 'D' };

/** Text without diacritics, lower case, as Rust's model::fold makes it: "Sønderborg" → "sonderborg". */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/[øØıłŁæÆœŒßđĐ]/g, (c) => EXTRA_FOLDS[c]).toLowerCase();
}

/** An id from a title, like Rust's `BookletDef::id_from_title`: "Ports & Rivers" → "ports-rivers". */
export function slugify(title: string): string {
  const folded = title.normalize('NFKD').replace(/\p{M}/gu, '').replace(/[øØ]/g, 'o').replace(/ı/g, 'i').replace(/ß/g, 'ss').replace(/æ/g, 'ae').toLowerCase();
  return folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, 60).replace(/-+$/, '');
}

/** A copy of `list` with the item at `from` moved to `to` (clamped). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = list.slice();
  if (from < 0 || from >= out.length) return out;
  const target = Math.max(0, Math.min(out.length - 1, to));
  const [item] = out.splice(from, 1);
  out.splice(target, 0, item);
  return out;
}

/**
 * Parses what a user typed in a fact field, as the window's language writes numbers: "80,006"
 * or "3499.8" in English, "80 006" or "3 499,8" in French, "80.006" or "3499,8" in Spanish; or
 * "n/a". Spaces (also no-break ones) always group digits. Null when it is not a number.
 */
export function parseFactInput(text: string, locale: Locale = currentLocale()): number | 'n/a' | null {
  const t = text.trim();
  if (t === '' || /^(n\/a|n\.\s?d\.?|n\/d)$/i.test(t)) return 'n/a';
  const [group, decimal] = locale === 'en' ? [',', '.'] : locale === 'es' ? ['.', ','] : ['.', ','];
  let s = t.replace(/[\s\u00a0\u202f]/g, '');
  if (group === ',' && !/^\d{1,3}(,\d{3})*(\.\d+)?$|^\d+(\.\d+)?$/.test(s)) return null;
  if (group === '.' && !/^\d{1,3}(\.\d{3})*(,\d+)?$|^\d+(,\d+)?$/.test(s)) return null;
  s = s.split(group).join('').replace(decimal, '.');
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** Parses a year field: "2015" or "n/a". */
export function parseYearInput(text: string): number | 'n/a' | null {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'n/a') return 'n/a';
  if (!/^\d{4}$/.test(t)) return null;
  const y = Number(t);
  const [first, last] = RULES.fact_years;
  return y >= first && y <= last ? y : null;
}

/** A number as the window's language writes it: 21705000 → "21,705,000", "21 705 000", "21.705.000". */
export function formatNumber(v: number | 'n/a', locale: Locale = currentLocale()): string {
  if (v === 'n/a') return t('value.na', {}, locale);
  return formatNumberIn(v, locale);
}

/** The items of a section that is nothing but a bullet list ("- a\n- b"), or null. */
export function bulletItems(md: string | null): string[] | null {
  if (md == null) return [];
  const lines = md.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  if (!lines.every((l) => /^- /.test(l))) return null;
  return lines.map((l) => l.slice(2));
}

/** A bullet list's Markdown from its items (empty items dropped); null when there are none. */
export function bulletMarkdown(items: string[]): string | null {
  const kept = items.map((i) => i.replace(/\s+/g, ' ').trim()).filter((i) => i !== '');
  return kept.length ? kept.map((i) => `- ${i}`).join('\n') : null;
}

/** UNESCO's five regions (from Rust). */
export const REGIONS: readonly string[] = RULES.regions;

/** The award years the filters offer. */
export const AWARD_YEARS = [2015, 2017, 2019, 2021, 2024];

/** A CityFilter from the filter selects' values ('' for any). */
export function cityFilter(v: { region: string; country: string; award: string; feature: string }): CityFilter {
  return {
    region: (v.region || null) as CityFilter['region'],
    country: v.country || null,
    award: v.award ? Number(v.award) : null,
    key_feature: v.feature ? Number(v.feature) : null,
  };
}

/** The twelve Key Features of Learning Cities, by number (from Rust: src/model/rules.rs). */
export const KEY_FEATURES: readonly string[] = RULES.key_features;

/** The three narrative sections: key and heading (from Rust). */
export const SECTIONS = RULES.sections.map((x) => [x.key, x.label]) as [key: 'vision' | 'challenges' | 'plan', heading: string][];

/** The facts in table order: key and label (from Rust). */
export const FACTS = RULES.facts.map((x) => [x.key, x.label]) as [key: FactKey, label: string][];
export type FactKey = 'population' | 'area_km2' | 'gdp_city_usd' | 'gdp_country_usd' | 'schooling_years';
