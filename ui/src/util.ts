// Small pure helpers the screens share (unit-tested with Vitest).

import type { CityFilter } from './host';
import { RULES } from './rules';

/** "5 minutes ago", "just now", "3 hours ago", "2 days ago"; `now` for tests. */
export function relativeTime(iso: string | null, now: Date = new Date()): string {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return 'never';
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? '1 minute ago' : `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 24) return h === 1 ? '1 hour ago' : `${h} hours ago`;
  const d = Math.round(h / 24);
  return d === 1 ? '1 day ago' : `${d} days ago`;
}

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

/** Parses what a user typed in a fact field: a number ("80,006", "3499.8"), or "n/a". */
export function parseFactInput(text: string): number | 'n/a' | null {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'n/a') return 'n/a';
  const n = Number(t.replace(/,/g, ''));
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

/** A number as the booklets print it: 21705000 → "21,705,000". */
export function formatNumber(v: number | 'n/a'): string {
  if (v === 'n/a') return 'n/a';
  const [i, f] = String(v).split('.');
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return f ? `${grouped}.${f}` : grouped;
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
