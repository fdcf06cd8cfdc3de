// An in-memory Host over the bundled seed portraits, so the UI runs in a plain browser for the
// Playwright tests (no Tauri, no Rust). It follows the real host's contracts closely enough to
// test the screens: errors are ApiError objects, drafts keep their base, search folds diacritics.

import type {
  BookletDef, Choice, Partner, CityFilter, CitySummary, DecisionRequest, Draft, ErrorCode, FieldError, Host, Location, OutboxEntry, Portrait,
  PortraitView, PrintRequest, BookletLang, QuarantineEntry, SearchHit, SearchQuery, Settings, SortBy, SubmissionDetail, SubmissionStatus,
  SubmissionSummary, SyncRequest, SyncStatus, MenuLabels, TableQueued, TableReport, StaffToken, TokenSummary, InviteReport,
} from './host';
import { parseMarkdown } from './markdown';
import { validatePortrait } from './validate';
import { RULES } from './rules';
import { FACTS, fold, slugify } from './util';

const files = import.meta.glob('../../data/portraits/*/*.json', { import: 'default' });

function wordsOf(s: string): string[] {
  return fold(s).split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
}

/** A term of a search: a word or a quoted phrase (folded words), the last word maybe a prefix. */
export interface Term {
  words: string[];
  prefix: boolean;
}

/**
 * What a user typed as terms, as Rust's search::parse_terms reads it: words, `"…"` phrases and
 * `*` at a word's end. Searching as people type, the last word is a prefix too ("eski" finds
 * Eskişehir), unless it closes a quoted phrase; earlier words are whole words unless they end
 * in `*`.
 */
export function parseTerms(input: string): Term[] {
  const terms: (Term & { closed: boolean })[] = [];
  let rest = input.trimStart();
  while (rest !== '') {
    if (rest.startsWith('"')) {
      const after = rest.slice(1);
      const i = after.indexOf('"');
      const [phrase, tail] = i >= 0 ? [after.slice(0, i), after.slice(i + 1)] : [after, ''];
      const words = wordsOf(phrase);
      if (words.length) terms.push({ words, prefix: tail.startsWith('*') || phrase.trimEnd().endsWith('*'), closed: i >= 0 });
      rest = tail.replace(/^\*+/, '').trimStart();
      continue;
    }
    const m = /[\s"]/.exec(rest);
    const end = m ? m.index : rest.length;
    const token = rest.slice(0, end);
    rest = rest.slice(end).trimStart();
    const words = wordsOf(token);
    if (words.length) terms.push({ words, prefix: token.endsWith('*'), closed: false });
  }
  const last = terms[terms.length - 1];
  if (last && !last.closed) last.prefix = true;
  return terms.map(({ words, prefix }) => ({ words, prefix }));
}

function wordMatches(word: string, t: Term, i: number): boolean {
  return t.prefix && i === t.words.length - 1 ? word.startsWith(t.words[i]) : word === t.words[i];
}

/** Whether the folded words contain the term (its words in a row). */
function hasTerm(words: string[], t: Term): boolean {
  for (let s = 0; s + t.words.length <= words.length; s++) {
    if (t.words.every((_, i) => wordMatches(words[s + i], t, i))) return true;
  }
  return false;
}

/** Whether one folded word is (part of) a match of any term, for marking snippets. */
function isHit(word: string, terms: Term[]): boolean {
  return terms.some((t) => t.words.some((_, i) => wordMatches(word, t, i)));
}

/**
 * The passage of `width` words with the most matches across the texts (the first, the lead,
 * preferred unless another matches clearly better), split into context and hits.
 */
function bestSnippet(terms: Term[], texts: string[], width: number): { segments: { text: string; hit: boolean }[]; from: number } {
  let best: { score: number; tokens: string[]; start: number; end: number; ti: number } | null = null;
  for (const [ti, text] of texts.entries()) {
    const tokens = text.split(/\s+/).filter((w) => w !== '');
    const hits = tokens.map((w, i) => (wordsOf(w).some((x) => isHit(x, terms)) ? i : -1)).filter((i) => i >= 0);
    for (const h of hits) {
      const start = Math.max(0, h - Math.floor(width / 3));
      const end = Math.min(start + width, tokens.length);
      const score = 2 * hits.filter((x) => x >= start && x < end).length + (ti === 0 ? 2 : 0);
      if (!best || score > best.score) best = { score, tokens, start, end, ti };
    }
  }
  const lead = (texts[0] ?? '').split(/\s+/).filter((w) => w !== '');
  const b = best ?? { score: 0, tokens: lead, start: 0, end: Math.min(width, lead.length), ti: 0 };
  const words = b.tokens.slice(b.start, b.end);
  const out: { text: string; hit: boolean }[] = [];
  const push = (text: string, hit: boolean) => {
    const last = out[out.length - 1];
    if (last && last.hit === hit && !hit) last.text += text;
    else out.push({ text, hit });
  };
  if (b.start > 0) push('… ', false);
  words.forEach((w, i) => {
    if (i) push(' ', false);
    push(w, wordsOf(w).some((x) => isHit(x, terms)));
  });
  if (b.end < b.tokens.length) push(' …', false);
  return { segments: out, from: b.ti };
}

/** Where a city is (its portrait's `location`), or null. */
function locationOf(p: Portrait): Location | null {
  const l = p.location;
  return l && Number.isFinite(l.lat) && Number.isFinite(l.lon) ? { lat: l.lat, lon: l.lon } : null;
}

function fail(code: ErrorCode, message: string, fields: FieldError[] = []): never {
  throw { code, message, fields };
}

export class FakeHost implements Host {
  readonly kind = 'fake' as const;
  private versions = new Map<string, Portrait[]>();
  private drafts = new Map<string, Draft>();
  private booklist: BookletDef[] = [];
  private box: OutboxEntry[] = [];
  private settings: Settings = { feed_url: 'https://portraits.uil.unesco.org', sync_minutes: 15, identity: null, signed_in: false, data_folder: '(in memory)', database: '(in memory)' };
  private status: SyncStatus = {
    online: false, syncing: false, last_synced: null, pending: 0, error: null, error_code: null, added: 0, feed: null,
    started_at: null, phase: null, message: null, held: 0, rebased: [],
  };
  /** The "server's" submissions: made when a sync sends the outbox. */
  private subs: (SubmissionSummary & { portrait: Portrait })[] = [];
  private listeners: ((s: SyncStatus) => void)[] = [];
  private ready: Promise<void>;
  /** The next file the fake "dialog" returns (tests set it). */
  nextPhoto: { sha256: string; mime: string } | null = { sha256: 'a'.repeat(64), mime: 'image/jpeg' };

  constructor() {
    this.ready = this.load();
  }

  private async load() {
    const all = (await Promise.all(Object.values(files).map((f) => f()))) as Portrait[];
    for (const p of all) {
      const list = this.versions.get(p.city.id) ?? [];
      list.push(p);
      list.sort((a, b) => a.version - b.version);
      this.versions.set(p.city.id, list);
    }
    const from = (booklet: string) =>
      all.filter((p) => p.source.booklet === booklet).map((p) => ({ city: p.city.id, version: p.version }));
    this.booklist = [
      this.def('members-meeting-2016', 'members-meeting', "Learning, sharing and collaborating:", from('members-meeting-2016')),
      this.def('learning-city-award-2019', 'learning-city-award', 'UNESCO Learning City Award 2019', from('learning-city-award-2019')),
    ];
  }

  private def(id: string, template: 'members-meeting' | 'learning-city-award', title: string, cities: { city: string; version: number }[]): BookletDef {
    return {
      id, template, title, subtitle: null, dates: null, place: null, network: 'UNESCO Global Network of Learning Cities',
      published: null, awardee_mark_year: null, introduction: null, foreword: null, imprint: null, back_cover: null,
      attribution: 'CC-BY-SA 3.0 IGO', cities,
    };
  }

  private latest(id: string): Portrait {
    const v = this.versions.get(id);
    if (!v) fail('not_found', `no city with id "${id}"`);
    return v[v.length - 1];
  }

  private matches(p: Portrait, f: CityFilter): boolean {
    if (f.region && p.city.region !== f.region) return false;
    if (f.country && p.city.country.code.toLowerCase() !== f.country.toLowerCase() && p.city.country.name.toLowerCase() !== f.country.toLowerCase()) return false;
    if (f.award && !p.city.awards.includes(f.award)) return false;
    if (f.key_feature && !p.key_feature_areas.includes(f.key_feature)) return false;
    return true;
  }

  /** Adds `n` cities made from the bundled ones, for tests of a network of thousands. */
  async addSynthetic(n: number) {
    await this.ready;
    const seeds = [...this.versions.values()].map((l) => l[l.length - 1]);
    for (let i = 0; i < n; i++) {
      const p = structuredClone(seeds[i % seeds.length]);
      p.city.id = `${p.city.country.code.toLowerCase()}-synthetic-${i}`;
      p.city.name = `${p.city.name} ${i}`;
      p.version = 1;
      this.versions.set(p.city.id, [p]);
    }
  }

  async listCities(filter: CityFilter, sort: SortBy): Promise<CitySummary[]> {
    await this.ready;
    const rows = [...this.versions.keys()].map((id) => this.latest(id)).filter((p) => this.matches(p, filter)).map((p) => ({
      id: p.city.id, name: p.city.name, country: p.city.country, region: p.city.region, awards: p.city.awards,
      member_since: p.city.member_since, latest_version: p.version, tagline: p.tagline,
      population: typeof p.facts.population.value === 'number' ? p.facts.population.value : null,
      location: locationOf(p),
    }));
    const key = (c: CitySummary) => fold(c.name);
    if (sort === 'population') rows.sort((a, b) => (b.population ?? -1) - (a.population ?? -1));
    else if (sort === 'country') rows.sort((a, b) => fold(a.country.name).localeCompare(fold(b.country.name)) || key(a).localeCompare(key(b)));
    else rows.sort((a, b) => key(a).localeCompare(key(b)));
    return rows;
  }

  /**
   * Search as Rust's store does it, closely enough for the screens: every term must match,
   * diacritics folded; the last word is a prefix. Hits whose city name matches come first, then
   * those whose country matches, then by how often the terms occur.
   */
  async search(q: SearchQuery): Promise<SearchHit[]> {
    await this.ready;
    const terms = parseTerms(q.text);
    if (terms.length === 0) fail('invalid_input', `the search "${q.text}" has no words to look for`);
    const hits: SearchHit[] = [];
    for (const id of this.versions.keys()) {
      const p = this.latest(id);
      if (!this.matches(p, q.filter)) continue;
      // A city is found by its translations' words too (Rust indexes them with the body).
      const translatedBy = Object.entries(p.translations ?? {}).map(([tag, tr]) => [tag, (tr ? [tr.tagline, tr.lead, tr.vision, tr.challenges, tr.plan, tr.quote, ...(tr.highlights ?? []), ...(tr.captions ?? [])] : [])
        .filter((x): x is string => x != null).join('\n')] as const);
      const translated = translatedBy.map(([, text]) => text);
      const texts = [p.city.name, p.city.country.name, p.tagline ?? '', p.lead, p.vision ?? '', p.challenges ?? '', p.plan ?? '', ...p.highlights, ...translated];
      const words = wordsOf(texts.join(' \n '));
      if (!terms.every((t) => hasTerm(words, t))) continue;
      const name = wordsOf(p.city.name);
      const country = wordsOf(p.city.country.name);
      const inName = terms.filter((t) => hasTerm(name, t)).length;
      const inCountry = terms.filter((t) => hasTerm(country, t)).length;
      const often = Math.min(99, words.filter((w) => isHit(w, terms)).length);
      // Lower is better, as bm25 scores are.
      const score = -(inName * 10_000 + inCountry * 100 + often);
      const plain = (md: string | null) => (md ?? '').replace(/^\s*[-*+]\s+/gm, '').replace(/[*_`#>]/g, '');
      const own = [p.lead, p.tagline ?? '', plain(p.vision), plain(p.challenges), plain(p.plan), ...p.highlights, p.city.name];
      const { segments: snippet, from } = bestSnippet(terms, [...own, ...translated.map(plain)], 24);
      const snippet_lang = from >= own.length ? translatedBy[from - own.length][0] : undefined;
      hits.push({ city_id: id, name: p.city.name, country: p.city.country.name, region: p.city.region, score, snippet, ...(snippet_lang ? { snippet_lang } : {}) });
    }
    hits.sort((a, b) => a.score - b.score || fold(a.name).localeCompare(fold(b.name)));
    return hits.slice(0, q.limit ?? 20);
  }

  async showCity(cityId: string, version?: number): Promise<PortraitView> {
    await this.ready;
    const list = this.versions.get(cityId) ?? fail('not_found', `no city with id "${cityId}"`);
    const p = version ? list.find((x) => x.version === version) ?? fail('not_found', `city "${cityId}" has no version ${version}`) : list[list.length - 1];
    const warnings = FACTS.map(([k]) => k)
      .filter((k) => p.facts[k].value === 'n/a')
      .map((k) => ({ code: 'not_available', path: `$.facts.${k}.value`, message: `${k}: not available` }));
    return {
      portrait: p, latest_version: list[list.length - 1].version, warnings,
      versions: list.map((x) => ({ version: x.version, booklet: x.source.booklet, published: x.source.published, sha256: '' })),
    };
  }

  async versionDiff(cityId: string, from: number, to: number) {
    const a = (await this.showCity(cityId, from)).portrait as any;
    const b = (await this.showCity(cityId, to)).portrait as any;
    // Rust's merge::FIELDS, in order.
    const fields = ['tagline', 'lead', 'facts.population', 'facts.area_km2', 'facts.gdp_city_usd', 'facts.gdp_country_usd',
      'facts.schooling_years', 'vision', 'challenges', 'plan', 'quote', 'contacts', 'highlights', 'photos', 'key_feature_areas',
      'location', 'mayor', 'focal_point', 'clusters', 'interests', 'translations'];
    const get = (p: any, path: string) => path.split('.').reduce((v, k) => (v == null ? null : v[k] ?? null), p);
    return fields.map((field) => {
      const [x, y] = [get(a, field), get(b, field)];
      const same = JSON.stringify(x) === JSON.stringify(y);
      return { field, state: same ? 'unchanged' : 'theirs', base: x, theirs: y, mine: x, merged: y } as any;
    });
  }

  async renderMarkdown(text: string) { return parseMarkdown(text); }

  async getDraft(cityId: string) { await this.ready; const d = this.drafts.get(cityId); return d ? structuredClone(d) : null; }

  async saveDraft(cityId: string, portrait: Portrait, revision: number | null, typed: Record<string, string> = {}) {
    await this.ready;
    const latest = this.latest(cityId);
    const existing = this.drafts.get(cityId);
    if (existing && revision != null && existing.revision !== revision) {
      fail('conflict', `the draft of ${cityId} changed since this edit began (revision ${revision}, now ${existing.revision}): reload it; nothing was overwritten`);
    }
    const base = existing?.base_version ?? latest.version;
    const p = { ...portrait, city: latest.city, version: base + 1, source: { booklet: null, published: new Date().toISOString().slice(0, 10) } };
    const draft: Draft = { city_id: cityId, base_version: base, portrait: p, updated_at: new Date().toISOString(), conflicts: existing?.conflicts ?? [], revision: (existing?.revision ?? 0) + 1, typed: { ...typed } };
    this.drafts.set(cityId, draft);
    const pending = Object.entries(typed).map(([path, text]) => ({ path: `$.${path}`, message: `"${text}" is not a value yet` }));
    return { draft: structuredClone(draft), errors: [...validatePortrait(p), ...pending], merged: false };
  }

  /** Like the real partner finder, simply: shared Key Feature areas and comparable population,
   * with their reasons (no text model). */
  async partners(cityId: string, limit: number): Promise<Partner[]> {
    await this.ready;
    const me = this.latest(cityId);
    const out: Partner[] = [];
    for (const [id] of this.versions) {
      if (id === cityId) continue;
      const p = this.latest(id);
      const both = me.key_feature_areas.filter((k) => p.key_feature_areas.includes(k));
      const union = new Set([...me.key_feature_areas, ...p.key_feature_areas]).size;
      const reasons: Partner['reasons'] = [];
      if (both.length) reasons.push({ kind: 'key_features', detail: `both work on ${both.map((k) => `${k}. ${RULES.key_features[k - 1]}`).join('; ')}`, params: { features: both.join(',') } });
      const [a, b] = [me.facts.population.value, p.facts.population.value];
      let ratio = 0;
      if (typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0) {
        ratio = Math.min(a, b) / Math.max(a, b);
        if (ratio >= 0.5) reasons.push({ kind: 'facts', detail: `comparable population: ${a.toLocaleString('en')} and ${b.toLocaleString('en')}`, params: { fact: 'population', value: a, other_value: b } });
      }
      const score = Math.round((0.25 * (union ? both.length / union : 0) + 0.15 * ratio) * 1000) / 1000;
      out.push({ city: id, name: p.city.name, country: p.city.country.name, score, reasons });
    }
    return out.sort((x, y) => y.score - x.score || x.city.localeCompare(y.city)).slice(0, limit);
  }

  async resolveConflict(cityId: string, field: string, _choice: Choice) {
    const d = this.drafts.get(cityId) ?? fail('not_found', `${cityId} has no draft`);
    d.conflicts = d.conflicts.filter((c) => c.field !== field);
    return d;
  }

  async discardDraft(cityId: string) { return this.drafts.delete(cityId); }

  async pickPhoto() { return this.nextPhoto; }

  async submit(cityId: string, note: string | null = null) {
    const d = this.drafts.get(cityId) ?? fail('invalid_input', `${cityId} has no draft`);
    const pending = Object.entries(d.typed ?? {});
    if (pending.length) fail('invalid_input', `the draft of ${cityId} has ${pending.length} field(s) typed but not valid yet, such as ${pending[0][0]}: "${pending[0][1]}": fix them first`, pending.map(([p, t]) => ({ path: `$.${p}`, message: `"${t}" is not a value yet` })));
    const errors = validatePortrait(d.portrait);
    if (errors.length) fail('invalid_input', `the draft of ${cityId} is invalid: ${errors[0].path}: ${errors[0].message}`, errors);
    // Like the real host: queued (no network), sent by the next sync.
    const entry: OutboxEntry = {
      id: this.box.length + 1, city_id: cityId, idempotency_key: crypto.randomUUID(), base_version: d.base_version, portrait: d.portrait,
      status: 'pending', attempts: 0, last_error: null, submission_id: null, created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
      note: note?.trim() || null,
    };
    this.box.push(entry);
    return { outbox_id: entry.id, idempotency_key: entry.idempotency_key, status: entry.status, submission_id: entry.submission_id, error: entry.last_error };
  }

  async outbox() { return this.box; }
  /** What the sync holds back; browser tests set it to see it shown. */
  held: QuarantineEntry[] = [];
  async heldBack() { return this.held; }

  private summary(s: SubmissionSummary & { portrait: Portrait }): SubmissionSummary {
    const { portrait: _p, ...rest } = s;
    return structuredClone(rest);
  }

  async submissions(cityId: string) {
    return { live: !!this.settings.feed_url, submissions: this.subs.filter((s) => s.cityId === cityId).map((s) => this.summary(s)) };
  }

  private staff() {
    if (!this.settings.signed_in) fail('unauthorized', 'sign in with your token in Settings first');
    if (this.settings.identity?.kind !== 'staff') fail('forbidden', 'this needs a staff token');
  }

  async reviewList(statuses: SubmissionStatus[]) {
    this.staff();
    return this.subs.filter((s) => statuses.length === 0 || statuses.includes(s.status)).map((s) => this.summary(s));
  }

  /** The per-field diff of three portraits, as the server's three-way merge reports it. */
  private diff(base: Portrait, published: Portrait, mine: Portrait): SubmissionDetail['diff'] {
    const fields: [string, (p: Portrait) => unknown][] = [
      ['tagline', (p) => p.tagline], ['lead', (p) => p.lead], ['facts.population', (p) => p.facts.population],
      ['vision', (p) => p.vision], ['challenges', (p) => p.challenges], ['plan', (p) => p.plan],
      ['quote', (p) => p.quote], ['contacts', (p) => p.contacts], ['highlights', (p) => p.highlights],
      ['translations', (p) => p.translations ?? null],
    ];
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return fields.map(([field, get]) => {
      const [b, t, m] = [get(base), get(published), get(mine)];
      const state = same(b, m) ? (same(b, t) ? 'unchanged' : 'theirs') : same(b, t) ? 'mine' : same(t, m) ? 'both' : 'conflict';
      return { field, state, base: b, theirs: t, mine: m, merged: state === 'theirs' ? t : m } as SubmissionDetail['diff'][number];
    });
  }

  async reviewShow(id: string): Promise<SubmissionDetail> {
    this.staff();
    const s = this.subs.find((x) => x.id === id) ?? fail('not_found', `no submission with id "${id}"`);
    if (s.status === 'submitted') s.status = 'in_review';
    // A proposed city (base version 0) is compared with nothing, as the server does.
    const blank = { ...structuredClone(s.portrait), version: 0, lead: '', tagline: null, contacts: [], highlights: [] } as Portrait;
    const published = this.versions.has(s.cityId) ? this.latest(s.cityId) : blank;
    const base = (this.versions.get(s.cityId) ?? []).find((p) => p.version === s.baseVersion) ?? published;
    const diff = this.diff(base, published, s.portrait);
    const history: (SubmissionSummary & { portrait: Portrait })[] = [];
    for (let prev = s.supersedes; prev; ) {
      const h = this.subs.find((x) => x.id === prev);
      if (!h) break;
      history.unshift(h);
      prev = h.supersedes;
    }
    const reviewed = [...history].reverse().find((h) => h.comments.length > 0);
    const sinceLastReview = reviewed
      ? { id: reviewed.id, round: reviewed.round, diff: this.diff(reviewed.portrait, reviewed.portrait, s.portrait).filter((d) => d.state !== 'unchanged') }
      : null;
    return {
      ...this.summary(s), publishedNow: published.version, portrait: structuredClone(s.portrait), diff,
      conflicts: diff.filter((d) => d.state === 'conflict').map((d) => d.field),
      history: history.map((h) => this.summary(h)), sinceLastReview,
    };
  }

  async reviewDecide(id: string, d: DecisionRequest) {
    this.staff();
    const s = this.subs.find((x) => x.id === id) ?? fail('not_found', `no submission with id "${id}"`);
    if (s.status === 'superseded') fail('conflict', `submission ${id}: the city has sent a newer version since: review that one`);
    if (s.status === 'accepted' || s.status === 'rejected') fail('conflict', `submission ${id}: it was already ${s.status}; a decision is final`);
    const comments = [
      ...(d.comment?.trim() ? [{ field: null, comment: d.comment }] : []),
      ...d.comments.filter((c) => c.comment.trim()).map((c) => ({ field: c.field, comment: c.comment })),
    ];
    if (d.decision !== 'accept' && comments.length === 0) fail('invalid_input', 'say why: a comment is required', [{ path: '$.comment', message: 'required' }]);
    s.comments = comments;
    s.status = d.decision === 'accept' ? 'accepted' : d.decision === 'reject' ? 'rejected' : 'changes_requested';
    if (s.status === 'accepted') {
      if (!this.versions.has(s.cityId)) this.versions.set(s.cityId, []);
      const list = this.versions.get(s.cityId)!;
      const next = { ...structuredClone(s.portrait), version: (list[list.length - 1]?.version ?? 0) + 1 };
      list.push(next);
      s.publishedVersion = next.version;
    }
    s.updatedAt = new Date().toISOString();
    return this.summary(s);
  }

  private static BUNDLED = ['members-meeting-2016', 'learning-city-award-2019'];

  async booklets() {
    await this.ready;
    return this.booklist.map((b) => ({ def: structuredClone(b), bundled: FakeHost.BUNDLED.includes(b.id) }));
  }

  private freeId(wanted: string) {
    let id = wanted;
    for (let n = 2; this.booklist.some((b) => b.id === id); n++) id = `${wanted}-${n}`;
    return id;
  }

  async saveBooklet(input: BookletDef, isNew: boolean) {
    const def = structuredClone(input);
    if (isNew && !def.id.trim()) def.id = this.freeId(slugify(def.title) || 'booklet');
    if (!/^[a-z0-9-]+$/.test(def.id)) fail('invalid_input', 'a booklet id is lower-case ASCII letters, digits and -', [{ path: '$.id', message: 'lower-case ASCII' }]);
    if (!def.title.trim()) fail('invalid_input', 'the booklet is invalid: $.title: must not be empty', [{ path: '$.title', message: 'must not be empty' }]);
    if (def.cities.length === 0) fail('invalid_input', 'a booklet needs at least one city', [{ path: '$.cities', message: 'a booklet needs at least one city' }]);
    const i = this.booklist.findIndex((b) => b.id === def.id);
    if (isNew) {
      if (i >= 0) fail('conflict', `a booklet with the id "${def.id}" exists already: choose another id (or title), or open that booklet to change it`, [{ path: '$.id', message: 'another booklet has this id' }]);
      this.booklist.push(def);
    } else {
      if (FakeHost.BUNDLED.includes(def.id)) fail('invalid_input', `the booklet "${def.id}" comes with the app and cannot be changed: duplicate it and change the copy`, [{ path: '$.id', message: 'comes with the app' }]);
      if (i < 0) fail('not_found', `no booklet with id "${def.id}"`);
      this.booklist[i] = def;
    }
    return structuredClone(def);
  }

  async duplicateBooklet(id: string) {
    const b = this.booklist.find((x) => x.id === id) ?? fail('not_found', `no booklet with id "${id}"`);
    const copy = { ...structuredClone(b), id: this.freeId(`${id.replace(/-copy$/, '')}-copy`), title: `${b.title.replace(/ \(copy\)$/, '')} (copy)` };
    this.booklist.push(copy);
    return { def: structuredClone(copy), bundled: false };
  }

  async deleteBooklet(id: string) {
    if (FakeHost.BUNDLED.includes(id)) fail('invalid_input', `the booklet "${id}" comes with the app and cannot be deleted: duplicate it and change the copy`);
    const i = this.booklist.findIndex((b) => b.id === id);
    if (i < 0) fail('not_found', `no booklet with id "${id}"`);
    this.booklist.splice(i, 1);
  }

  async previewBooklet(def: BookletDef, maxPages: number) {
    const pages = def.cities.slice(0, maxPages).map((c) =>
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 420 595"><rect width="420" height="595" fill="white"/><text x="40" y="80" font-size="24">${c.city}</text></svg>`);
    return { pages, total: def.cities.length + 4 };
  }

  async exportBooklet(def: BookletDef, onProgress: (p: number, n: number) => void, print: PrintRequest | null = null, lang: BookletLang = 'en') {
    this.lastPrint = print;
    this.lastLang = lang;
    let n = def.cities.length * 2 + 6;
    for (let i = 1; i <= n; i += Math.max(1, Math.floor(n / 5))) onProgress(i, n);
    onProgress(n, n);
    // The print file: padded to a multiple of 4, two pages a sheet side when imposed.
    if (print) n = Math.ceil(n / 4) * 4 / (print.saddle_stitch ? 2 : 1);
    const file = `/tmp/${def.id}${lang === 'en' ? '' : `-${lang}`}${print ? '-print' : ''}.pdf`;
    return { file, booklet: def.id, pages: n, cities: def.cities.length, bytes: 1000 * n };
  }

  /** The print options and language of the last export (tests read them). */
  lastPrint: PrintRequest | null = null;
  lastLang: BookletLang = 'en';

  async openExport() {}
  async openUrl() {}
  async getSettings() { return { ...this.settings }; }
  async setSettings(feedUrl: string | null, syncMinutes: number) {
    if (feedUrl && !/^https?:\/\//i.test(feedUrl)) fail('invalid_input', `feed URL "${feedUrl}" must start with http:// or https://`, [{ path: '$.feed_url', message: `feed URL "${feedUrl}" must start with http:// or https://` }]);
    if (!(syncMinutes >= 1 && syncMinutes <= 1440)) fail('invalid_input', 'sync every 1 to 1440 minutes', [{ path: '$.sync_minutes', message: 'sync every 1 to 1440 minutes' }]);
    this.settings = { ...this.settings, feed_url: feedUrl || null, sync_minutes: syncMinutes };
    return { ...this.settings };
  }
  async signIn(token: string) {
    if (!/^gnlc_[0-9a-f]{16}_[0-9a-f]{64}$/.test(token.trim())) fail('invalid_input', 'this is not a token (gnlc_…)', [{ path: '$.token', message: 'not a token: it starts with gnlc_' }]);
    // A feed whose host starts with "unreachable" cannot be reached; a token whose id is all
    // "0" is unknown to the server; all "f" stands for UIL staff; any other for Cork's coordinator.
    if (/^https?:\/\/unreachable/.test(this.settings.feed_url ?? '')) fail('offline', `error sending request for url (${this.settings.feed_url}/v1/whoami): tcp connect error: Connection refused (os error 111)`);
    if (token.trim().startsWith(`gnlc_${'0'.repeat(16)}_`)) fail('unauthorized', 'unknown or revoked token');
    const staff = token.trim().startsWith(`gnlc_${'f'.repeat(16)}_`);
    this.settings = { ...this.settings, signed_in: true, identity: staff ? { kind: 'staff', cityId: null } : { kind: 'city', cityId: 'ie-cork' } };
    return { ...this.settings };
  }
  async signOut() { this.settings = { ...this.settings, signed_in: false, identity: null }; return { ...this.settings }; }
  async syncStatus() { return { ...this.status, pending: this.box.filter((e) => e.status === 'pending').length, held: this.held.length }; }
  async syncNow() {
    const feed = this.settings.feed_url;
    if (feed && /^https?:\/\/unreachable/.test(feed)) {
      this.status = {
        ...this.status, online: false, feed, error: `error sending request for url (${feed}/v1/feed.json): tcp connect error: Connection refused (os error 111)`,
        error_code: 'offline', pending: this.box.filter((e) => e.status === 'pending').length,
      };
      this.listeners.forEach((l) => l(this.status));
      return { started: true, message: `Syncing with ${feed}…`, code: 'started', feed, running_secs: null, phase: null };
    }
    if (feed) {
      for (const e of this.box.filter((e) => e.status === 'pending')) {
        e.status = 'sent';
        e.attempts += 1;
        e.submission_id = `sub_fake${e.id}`;
        // Like the server: the city's open submission is replaced, and this is its next round.
        const open = this.subs.filter((x) => x.cityId === e.city_id && ['submitted', 'in_review', 'changes_requested'].includes(x.status)).pop();
        for (const x of this.subs) {
          if (x.cityId === e.city_id && ['submitted', 'in_review', 'changes_requested'].includes(x.status)) {
            x.status = 'superseded';
            x.supersededBy = e.submission_id;
          }
        }
        this.subs.push({
          id: e.submission_id, cityId: e.city_id, status: 'submitted', baseVersion: e.base_version, comments: [],
          publishedVersion: null, createdAt: e.created_at, updatedAt: e.created_at, portrait: structuredClone(e.portrait),
          round: open ? open.round + 1 : 1, supersedes: open?.id ?? null, supersededBy: null, note: e.note, cityName: e.portrait.city.name,
          sentBy: this.settings.identity?.kind === 'staff' ? 'staff' : 'city',
        });
      }
    }
    this.status = {
      ...this.status, online: !!feed, feed, last_synced: new Date().toISOString(), error: feed ? null : 'no feed URL',
      error_code: feed ? null : 'invalid_input', pending: this.box.filter((e) => e.status === 'pending').length,
    };
    this.listeners.forEach((l) => l(this.status));
    return feed
      ? { started: true, message: `Syncing with ${feed}…`, code: 'started', feed, running_secs: null, phase: null }
      : { started: false, message: 'Set the feed URL in Settings first', code: 'no_feed', feed: null, running_secs: null, phase: null };
  }
  onSyncStatus(cb: (s: SyncStatus) => void) { this.listeners.push(cb); return () => { this.listeners = this.listeners.filter((l) => l !== cb); }; }
  onSyncNote(_cb: (s: SyncRequest) => void) { return () => {}; }
  onNavigate(_cb: (screen: string) => void) { return () => {}; }
  async backup() { return '/tmp/portraits-backup.sqlite3'; }
  /** The server's tokens: this window's staff token first. */
  tokens: StaffToken[] = [{ id: 'ffffffffffffffff', kind: 'staff', cityId: null, createdAt: '2026-11-02T09:00:00Z', revokedAt: null, thisWindow: true }];
  /** The folder the next invite's dialog answers; null: cancelled. */
  inviteFolder: string | null = '/home/uil/invitations';
  async staffTokens() { this.staff(); return structuredClone(this.tokens); }
  async revokeToken(id: string): Promise<TokenSummary> {
    this.staff();
    const t = this.tokens.find((x) => x.id === id) ?? fail('not_found', `no token with id "${id}"`);
    if (t.thisWindow) fail('conflict', `token ${id} is the one this request is made with: revoke it with another staff token`);
    t.revokedAt ??= new Date().toISOString();
    const { thisWindow: _w, ...summary } = t;
    return structuredClone(summary);
  }
  async invite(cities: string[]): Promise<InviteReport | null> {
    this.staff();
    if (!this.inviteFolder) return null;
    const unknown = cities.filter((c) => !this.versions.has(c));
    if (unknown.length) fail('not_found', `no city ${unknown.join(', ')}: nothing was issued`);
    const dir = this.inviteFolder;
    const invitations = cities.map((c, i) => {
      const p = this.latest(c);
      const earlier = this.tokens.filter((t) => t.cityId === c && !t.revokedAt).length;
      const id = `${Date.now().toString(16)}${i}`.padEnd(16, '0').slice(0, 16);
      this.tokens.push({ id, kind: 'city', cityId: c, createdAt: new Date().toISOString(), revokedAt: null, thisWindow: false });
      const ref = p.focal_point;
      const fp = ref && typeof ref === 'object' ? p.contacts[ref.contact] : p.contacts.find((x) => x.email);
      return { city_id: c, city: p.city.name, token_id: id, focal_point: fp?.name ?? null, email: fp?.email ?? null, file: `${dir}/${c}.txt`, earlier_tokens: earlier };
    });
    return { invitations, csv: `${dir}/invitations.csv` };
  }
  /** Member lists the browser tests "put on disk": path → what the real host's preview says. */
  tables = new Map<string, TableReport>();
  /** The file the next pickTable answers (the file dialog's choice); null: cancelled. */
  tableFile: string | null = null;
  async saveTableTemplate() { this.staff(); return '/tmp/member-list-template.xlsx'; }
  async pickTable() { return this.tableFile; }
  async previewTable(path: string, onProgress: (rows: number, of: number) => void) {
    const r = this.tables.get(path) ?? fail('io', `${path}: No such file or directory (os error 2)`);
    for (let i = 0; i <= r.rows.length; i++) {
      onProgress(i, r.rows.length);
      await new Promise((res) => setTimeout(res, 5));
    }
    return structuredClone(r);
  }
  async sendTable(path: string, planSha256: string): Promise<TableQueued> {
    this.staff();
    const r = this.tables.get(path) ?? fail('io', `${path}: No such file or directory (os error 2)`);
    if (r.plan_sha256 !== planSha256) fail('conflict', `${path}: the file, or the catalogue it is compared with (a sync), changed since it was previewed; nothing was sent: preview it again`);
    if (r.problems.length) fail('invalid_input', `the import was refused: ${r.problems[0].path}: ${r.problems[0].message}`, r.problems);
    const rows = r.rows.filter((x) => x.action !== 'unchanged');
    const waiting = rows.filter((x) => this.box.some((e) => e.status === 'pending' && e.city_id === x.city_id));
    if (waiting.length) fail('invalid_input', `${waiting.length} row(s) are already waiting in the outbox: nothing was sent`);
    const template = this.latest([...this.versions.keys()][0]);
    const queued: number[] = [];
    for (const x of rows) {
      const base = this.versions.has(x.city_id) ? this.latest(x.city_id) : null;
      const portrait: Portrait = base
        ? { ...structuredClone(base), version: base.version + 1 }
        : { ...structuredClone(template), city: { ...structuredClone(template.city), id: x.city_id, name: x.name, awards: [] }, version: 1, tagline: null, translations: {} };
      const entry: OutboxEntry = {
        id: this.box.length + 1, city_id: x.city_id, idempotency_key: crypto.randomUUID(), base_version: base ? base.version : 0, portrait,
        status: 'pending', attempts: 0, last_error: null, submission_id: null, created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
        note: `From the member list ${path.split('/').pop()}, row ${x.row}`,
      };
      this.box.push(entry);
      queued.push(entry.id);
    }
    return { report: structuredClone(r), queued };
  }
  async restore() { return null; }
  /** The last menu words the window gave (for the tests). */
  menuLabels: { labels: MenuLabels; title: string } | null = null;
  async setMenuLabels(labels: MenuLabels, title: string) { this.menuLabels = { labels, title }; }
}
