import { describe, expect, it } from 'vitest';
import { formatNumberIn, hasMessage, pickLocale, t } from '../messages';
import type { MessageKey } from '../messages';
import {
  countText, ERROR_CODES, errorText, fieldLabel, formatDate, formatDateTime, formatFactValue, formatFieldValue, humanize,
  identityText, isHumanMessage, outboxStatusLabel, parseMoment, statusLabel, timeAgo, warningText, wordDiff,
} from '../present';
import type { DiffSegment } from '../present';
import type { ErrorCode } from '../bindings/ErrorCode';
import type { SubmissionStatus } from '../bindings/SubmissionStatus';
import { RULES } from '../rules';

/** What no sentence for people contains: snake_case codes, transport words, braces. */
const CODE_LIKE = /\b[a-z]+_[a-z_]+\b|tcp|os error|[{}]/i;

describe('messages', () => {
  it('fills placeholders and picks plural forms in each language', () => {
    expect(t('identity.coordinator', { city: 'Cork' })).toBe('Coordinator of Cork');
    expect(t('count.cities', { count: 1 })).toBe('1 city');
    expect(t('count.cities', { count: 0 })).toBe('0 cities');
    expect(t('count.cities', { count: 1234 })).toBe('1,234 cities');
    expect(t('count.cities', { count: 1234 }, 'fr')).toBe('1\u202f234 villes');
    expect(t('count.cities', { count: 1 }, 'fr')).toBe('1 ville');
    expect(t('count.cities', { count: 0 }, 'fr')).toBe('0 ville'); // French: 0 is singular
    expect(t('count.cities', { count: 1 }, 'es')).toBe('1 ciudad');
    expect(t('count.cities', { count: 2 }, 'es')).toBe('2 ciudades');
    expect(t('identity.coordinator', { city: 'Cork' }, 'fr')).toBe('Coordinateur ou coordinatrice de Cork');
    expect(hasMessage('status.accepted')).toBe(true);
    expect(hasMessage('toString')).toBe(false);
  });

  it('writes numbers as each language does', () => {
    expect(formatNumberIn(80006, 'en')).toBe('80,006');
    expect(formatNumberIn(80006, 'fr')).toBe('80\u202f006');
    expect(formatNumberIn(80006, 'es')).toBe('80.006');
    expect(formatNumberIn(8006, 'es')).toBe('8006');
    expect(formatNumberIn(3499.8, 'fr')).toBe('3\u202f499,8');
  });

  it('takes the language from the system: the first it speaks, else English', () => {
    expect(pickLocale(['fr-CA', 'en-US'])).toBe('fr');
    expect(pickLocale(['de-DE', 'es-419'])).toBe('es');
    expect(pickLocale(['de-DE'])).toBe('en');
    expect(pickLocale([])).toBe('en');
    expect(pickLocale(['FR_fr'])).toBe('fr');
  });

  it('takes the fact, section and Key Feature labels from the rules', () => {
    for (const f of RULES.facts) expect(t(`field.fact.${f.key}` as MessageKey)).toBe(f.label);
    for (const s of RULES.sections) expect(t(`field.section.${s.key}` as MessageKey)).toBe(s.label);
    RULES.key_features.forEach((k, i) => expect(t(`key_feature.${i + 1}` as MessageKey)).toBe(k));
  });
});

describe('statusLabel and outboxStatusLabel', () => {
  it.each([
    ['submitted', 'Submitted'],
    ['in_review', 'In review'],
    ['changes_requested', 'Changes requested'],
    ['accepted', 'Accepted'],
    ['rejected', 'Rejected'],
    ['superseded', 'Replaced by a newer version'],
  ])('%s → %s', (code, label) => expect(statusLabel(code as SubmissionStatus)).toBe(label));

  it('shows a status added later in words, not as its code', () => {
    expect(statusLabel('on_hold')).toBe('On hold');
    expect(statusLabel('awaitingTranslation')).toBe('Awaiting translation');
    expect(humanize('')).toBe('');
  });

  it.each([
    ['pending', 'Waiting to send'],
    ['sent', 'Sent'],
    ['failed', 'Failed'],
  ])('outbox %s → %s', (code, label) => expect(outboxStatusLabel(code)).toBe(label));
});

describe('dates and times', () => {
  // Local times are written the way they were given, whatever the machine's time zone.
  it('writes a local time as "30 Nov 2026, 11:30"', () => {
    expect(formatDateTime('2026-11-30T11:30:00')).toBe('30 Nov 2026, 11:30');
    expect(formatDateTime('2026-01-05T09:05:59')).toBe('5 Jan 2026, 09:05');
    expect(formatDateTime(new Date(2026, 8, 1, 23, 7).getTime())).toBe('1 Sept 2026, 23:07');
    expect(formatDateTime(new Date(2026, 8, 1, 23, 7).getTime(), 'fr')).toBe('1 sept. 2026, 23:07');
    expect(formatDateTime(new Date(2026, 8, 1, 23, 7).getTime(), 'es')).toBe('1 sept 2026, 23:07');
    expect(formatDateTime(new Date(2026, 11, 31, 0, 0))).toBe('31 Dec 2026, 00:00');
  });

  it('reads RFC 3339 with a zone and nanoseconds, as local time', () => {
    const utc = new Date(Date.UTC(2026, 10, 30, 11, 30, 12, 123));
    const want = formatDateTime(utc);
    expect(formatDateTime('2026-11-30T11:30:12.123456789Z')).toBe(want);
    expect(formatDateTime('2026-11-30T11:30:12.123456789+00:00')).toBe(want);
    expect(parseMoment('2026-11-30T11:30:12.123456789Z')?.getTime()).toBe(utc.getTime());
    expect(parseMoment('2026-11-30T12:30:12.1+01:00')?.getTime()).toBe(Date.UTC(2026, 10, 30, 11, 30, 12, 100));
    expect(parseMoment('2026-11-30T06:30:12-05:00')?.getTime()).toBe(Date.UTC(2026, 10, 30, 11, 30, 12));
    expect(want).toMatch(/^\d{1,2} [A-Z][a-z]{2} 2026, \d{2}:\d{2}$/);
  });

  it('writes dates, a calendar date being that day wherever the machine is', () => {
    expect(formatDate('2016-11-15')).toBe('15 Nov 2016');
    expect(formatDate('2026-11-30T11:30:00')).toBe('30 Nov 2026');
    expect(formatDate(new Date(2019, 9, 1).getTime())).toBe('1 Oct 2019');
  });

  it.each([['not a date'], [''], ['2026-02-31'], ['2026-13-01T00:00:00Z'], ['2026-11-30T25:00:00Z'], [NaN], [null], [undefined], [{}], [Infinity]])(
    'says "unknown time" for %s, never "Invalid Date"',
    (v) => {
      expect(formatDateTime(v)).toBe('unknown time');
      expect(formatDate(v)).toBe('unknown date');
    },
  );

  it('says how long ago, with plurals', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    expect(timeAgo(null, now)).toBe('never');
    expect(timeAgo('garbage', now)).toBe('never');
    expect(timeAgo('2026-11-23T11:59:50.123456789Z', now)).toBe('just now');
    expect(timeAgo('2026-11-23T11:59:00Z', now)).toBe('1 minute ago');
    expect(timeAgo('2026-11-23T11:55:00Z', now)).toBe('5 minutes ago');
    expect(timeAgo('2026-11-23T11:00:00Z', now)).toBe('1 hour ago');
    expect(timeAgo('2026-11-21T12:00:00Z', now)).toBe('2 days ago');
    expect(timeAgo('2026-11-23T11:55:00Z', now, 'fr')).toBe('il y a 5 minutes');
    expect(timeAgo('2026-11-23T11:55:00Z', now, 'es')).toBe('hace 5 minutos');
    expect(timeAgo('2026-11-23T11:59:50Z', now, 'fr')).toBe('à l’instant');
  });
});

describe('countText', () => {
  it.each([
    [1, 'cities', '1 city'],
    [44, 'cities', '44 cities'],
    [0, 'cities', '0 cities'],
    [1, 'results', '1 result'],
    [2, 'results', '2 results'],
    [1, 'problems', '1 problem'],
    [3, 'problems', '3 problems'],
    [1, 'changes', '1 change'],
    [1, 'comments', '1 comment'],
    [5, 'comments', '5 comments'],
    [1, 'submissions', '1 submission'],
    [12, 'submissions', '12 submissions'],
    [1, 'times', '1 time'],
    [4, 'times', '4 times'],
    [1, 'pages', '1 page'],
    [10000, 'pages', '10,000 pages'],
  ] as const)('%i %s → %s', (n, what, want) => expect(countText(n, what)).toBe(want));
});

describe('errorText', () => {
  it('has a sentence for every error code, without codes or transport words', () => {
    expect(ERROR_CODES).toHaveLength(16);
    for (const code of ERROR_CODES) {
      const text = errorText({ code, message: 'tcp connect error: Connection refused (os error 111)' });
      expect(text, code).toMatch(/^[A-Z].*\.$/);
      expect(text, code).not.toMatch(CODE_LIKE);
      if (code.includes('_')) expect(text, code).not.toContain(code);
      expect(hasMessage(`error.${code}`), code).toBe(true);
    }
    expect(new Set(ERROR_CODES.map((code) => errorText({ code, message: '' }))).size).toBe(16);
  });

  it('words the codes the issue names', () => {
    expect(errorText({ code: 'offline', message: 'error sending request for url (http://127.0.0.1:9/v1/whoami): tcp connect error' }))
      .toBe("Can't reach the server. Your work is saved and will be sent later.");
    expect(errorText({ code: 'unauthorized', message: 'bad token' }))
      .toBe('The server did not accept your token. Check it in Settings, or ask UIL for a new one.');
    expect(errorText({ code: 'busy', message: 'database is locked' })).toBe('The app is busy with another task. Try again in a moment.');
  });

  it('keeps a server sentence for invalid_input, not_found and conflict, and replaces anything technical', () => {
    expect(errorText({ code: 'invalid_input', message: 'say why: a comment is required' })).toBe('Say why: a comment is required.');
    expect(errorText({ code: 'conflict', message: 'It was already accepted; a decision is final.' })).toBe('It was already accepted; a decision is final.');
    // Transport words, JSON paths, ids and braces never show.
    for (const message of [
      'tcp connect error: Connection refused (os error 111)',
      'error sending request for url (https://example.org/v1/submissions)',
      'hyper::Error(Connect, ConnectError("dns error"))',
      'reqwest error: ECONNREFUSED',
      'the draft of ie-cork is invalid: $.lead: must not be empty',
      'no city with id "ie-cork"',
      '{"code":"not_found"}',
      '',
    ]) {
      for (const code of ['invalid_input', 'not_found', 'conflict'] as ErrorCode[]) {
        expect(errorText({ code, message })).toBe(errorText({ code, message: '' }));
      }
    }
    expect(isHumanMessage('a booklet needs at least one city')).toBe(true);
    expect(isHumanMessage('Connect error: os error 111')).toBe(false);
  });

  it('prefixes what was being done, and words an unknown code', () => {
    expect(errorText({ code: 'offline', message: '' }, 'submit')).toBe("Couldn't submit: Can't reach the server. Your work is saved and will be sent later.");
    expect(errorText({ code: 'io', message: 'Permission denied (os error 13)' }, 'export')).toMatch(/^Couldn't export the PDF: A file could not/);
    expect(errorText({ code: 'teapot' as ErrorCode, message: 'tcp' })).toBe('Something went wrong. Try again.');
    expect(errorText({ code: null, message: 'no feed URL' })).toBe('No feed URL.');
    expect(errorText({ code: null, message: 'Connection refused (os error 111)' })).toBe('Something went wrong. Try again.');
    expect(errorText(null)).toBe('Something went wrong. Try again.');
  });
});

describe('identityText', () => {
  const names: Record<string, string> = { 'ie-cork': 'Cork' };
  const lookup = (id: string) => names[id];
  it('names staff, a city by its name, never its id', () => {
    expect(identityText({ kind: 'staff', cityId: null }, lookup)).toBe('UIL staff');
    expect(identityText({ kind: 'city', cityId: 'ie-cork' }, lookup)).toBe('Coordinator of Cork');
    expect(identityText({ kind: 'city', cityId: 'xx-nowhere' }, lookup)).toBe('Coordinator of your city');
    expect(identityText({ kind: 'city', cityId: 'ie-cork' })).toBe('Coordinator of your city');
    expect(identityText({ kind: 'city', cityId: null }, lookup)).toBe('Coordinator of your city');
    expect(identityText(null)).toBe('Not signed in');
  });
});

describe('fieldLabel', () => {
  it.each([
    // Diff fields (src/model/merge.rs FIELDS).
    ['tagline', 'Tagline'],
    ['lead', 'Lead paragraph'],
    ['facts.population', 'Population'],
    ['facts.area_km2', 'Area (km²)'],
    ['facts.gdp_city_usd', 'GDP per capita, city (USD)'],
    ['facts.gdp_country_usd', 'GDP per capita, country (USD)'],
    ['facts.schooling_years', 'Mean years of schooling (city)'],
    ['vision', 'Vision and motivation'],
    ['challenges', 'Challenges and goals'],
    ['plan', 'Plan and implementation'],
    ['quote', 'Quote'],
    ['contacts', 'Contacts'],
    ['highlights', 'Highlights'],
    ['photos', 'Photos'],
    ['key_feature_areas', 'Key feature areas'],
    // Validation paths (JSON paths).
    ['$.facts.population.value', 'Population'],
    ['$.facts.population.year', 'Population (year)'],
    ['facts.schooling_years.men', 'Mean years of schooling (city) (men)'],
    ['$.facts', 'Facts'],
    ['sections.vision', 'Vision and motivation'],
    ['$.quote.text', 'Quote: words'],
    ['$.quote.speaker', 'Quote: speaker'],
    ['quote.attribution', 'Quote: attribution'],
    ['$.contacts[0].email', 'Contact 1: email'],
    ['contacts[2].name', 'Contact 3: name'],
    ['$.contacts[0]', 'Contact 1'],
    ['$.highlights[4]', 'Highlight 5'],
    ['photos[1].caption', 'Photo 2: caption'],
    ['$.photos[0].sha256', 'Photo 1: image'],
    ['$.portrait.photos[0].sha256', 'Photo 1: image'],
    ['$.key_feature_areas[2]', 'Key feature area 3'],
    ['city.name', 'City name'],
    ['$.city.country.name', 'Country'],
    ['$.city.awards[1]', 'Award year 2'],
    ['$.source.published', 'Publication date'],
    ['$.feed_url', 'Feed URL'],
    ['$', 'The whole portrait'],
    ['', 'The whole portrait'],
    // Anything else reads as words.
    ['Some.path', 'Some: path'],
    ['some_thing[2].other_part', 'Some thing 3: other part'],
    ['quote.text.extra', 'Quote: words: extra'],
    ['facts.new_fact.year', 'New fact (year)'],
    ['$["odd key"]', 'Odd key'],
    ['toString', 'To string'],
    ['constructor[0]', 'Constructor 1'],
  ])('%s → %s', (path, label) => expect(fieldLabel(path)).toBe(label));

  it('never crashes and never shows the path as it is', () => {
    for (const p of ['[', ']]', '..', '$..x', '[x]', '$[0]', 'a[', '.[.].', null, undefined]) {
      expect(() => fieldLabel(p as string)).not.toThrow();
      expect(fieldLabel(p as string)).not.toMatch(/[[\]$]/);
    }
  });
});

describe('formatFactValue and formatFieldValue', () => {
  it('writes facts as the booklets print them', () => {
    expect(formatFactValue({ value: 289739, year: 2015 })).toBe('289,739 (2015)');
    expect(formatFactValue({ value: 3499.8, year: 2016 })).toBe('3,499.8 (2016)');
    expect(formatFactValue({ value: 'n/a', year: 'n/a' })).toBe('n/a');
    expect(formatFactValue({ value: 'n/a', year: 2014 })).toBe('n/a');
    expect(formatFactValue({ value: 120000, year: 'n/a' })).toBe('120,000 (year not given)');
    expect(formatFactValue({ value: 'n/a', year: 2015, men: 11.2, women: 11.9 })).toBe('men 11.2, women 11.9 (2015)');
    expect(formatFactValue(null)).toBe('n/a');
  });

  it('writes any diff value in words, never JSON', () => {
    expect(formatFieldValue('facts.population', { value: 289739, year: 2015 })).toBe('289,739 (2015)');
    expect(formatFieldValue('$.facts.population.value', 289739)).toBe('289,739');
    expect(formatFieldValue('$.facts.population.year', 2015)).toBe('2015');
    expect(formatFieldValue('key_feature_areas', [1, 3])).toBe(`${RULES.key_features[0]}\n${RULES.key_features[2]}`);
    expect(formatFieldValue('key_feature_areas', [99])).toBe('Key feature 99');
    expect(formatFieldValue('tagline', 'A city that learns')).toBe('A city that learns');
    for (const empty of [null, undefined, '', '  ', [], {}]) expect(formatFieldValue('tagline', empty)).toBe('(empty)');
    expect(formatFieldValue('quote', { text: 'Learning is life', speaker: 'Ann Doyle', role: 'Mayor' })).toBe('‘Learning is life’ — Ann Doyle, Mayor');
    expect(formatFieldValue('quote', { text: 'Learn', speaker: 'Ann', role: null })).toBe('‘Learn’ — Ann');
    expect(formatFieldValue('contacts', [
      { name: 'Ann Doyle', role: 'Coordinator', organisation: null, email: 'ann@example.org' },
      { name: 'Bo', role: null, organisation: 'City Hall', email: null },
    ])).toBe('Ann Doyle, Coordinator, ann@example.org\nBo, City Hall');
    expect(formatFieldValue('photos', [{ sha256: 'a'.repeat(64), mime: 'image/jpeg', caption: 'The river', credit: 'Cork City', licence: null }, { sha256: 'b', mime: 'image/png', caption: null, credit: null, licence: null }]))
      .toBe('The river (photo: Cork City)\n(no caption)');
    expect(formatFieldValue('highlights', ['Learning festival', 'Libraries'])).toBe('Learning festival\nLibraries');
    expect(formatFieldValue('city.awards', [2015, 2019])).toBe('2015; 2019');
    const facts = formatFieldValue('facts', { population: { value: 10, year: 2015 }, area_km2: { value: 'n/a', year: 'n/a' } });
    expect(facts).toBe('Population: 10 (2015)\nArea (km²): n/a');
    const odd = formatFieldValue('something_new', { nested: { deep: [1, 2], flag: true }, count: 12000, empty: null });
    expect(odd).toBe('nested: deep: 1; 2; flag: Yes; count: 12,000');
    for (const text of [odd, facts, formatFieldValue('x', { a: { b: { c: { d: { e: { f: 1 } } } } } })]) expect(text).not.toMatch(/[{}"]/);
  });

  it('words data-quality warnings by their field', () => {
    expect(warningText({ code: 'not_available', path: '$.facts.schooling_years.value', message: 'schooling_years: not available' }))
      .toBe('Mean years of schooling (city): not available');
    expect(warningText({ code: 'missing_year', path: '$.facts.population.year', message: '' })).toBe('Population: the year of the figure is not given');
    expect(warningText({ code: 'density', path: '$.facts', message: 'population density 1/km² is implausibly low' }))
      .toBe('Population density 1/km² is implausibly low');
  });
});

// A small seeded generator (mulberry32), so every run tests the same cases.
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCAB = ['the', 'city', 'learns', 'Cork,', 'festival.', 'life-long', '(UNESCO)', 'café', '学习', '“quoted”', 'a', 'of'];
const SPACE = [' ', ' ', ' ', '  ', '\n', '\n\n', '\t', ' \n'];

function randomText(r: () => number, words: number): string {
  let s = r() < 0.2 ? SPACE[Math.floor(r() * SPACE.length)] : '';
  for (let i = 0; i < words; i++) {
    s += VOCAB[Math.floor(r() * VOCAB.length)];
    if (i < words - 1 || r() < 0.3) s += SPACE[Math.floor(r() * SPACE.length)];
  }
  return s;
}

/** `text` with a few words inserted, deleted or replaced. */
function edit(r: () => number, text: string): string {
  const parts = text.split(/(\s+)/);
  const edits = Math.floor(r() * 6);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(r() * (parts.length + 1));
    const op = r();
    if (op < 0.33) parts.splice(i, 1);
    else if (op < 0.66) parts.splice(i, 0, VOCAB[Math.floor(r() * VOCAB.length)], ' ');
    else parts[i] = VOCAB[Math.floor(r() * VOCAB.length)];
  }
  return parts.join('');
}

function rebuild(segs: DiffSegment[]): [before: string, after: string] {
  return [
    segs.filter((s) => s.kind !== 'added').map((s) => s.text).join(''),
    segs.filter((s) => s.kind !== 'removed').map((s) => s.text).join(''),
  ];
}

function wellFormed(segs: DiffSegment[]) {
  for (let i = 0; i < segs.length; i++) {
    expect(segs[i].text).not.toBe('');
    if (i > 0) expect(segs[i].kind === segs[i - 1].kind).toBe(false);
    if (i > 0 && segs[i].kind === 'removed') expect(segs[i - 1].kind).not.toBe('added');
  }
}

describe('wordDiff', () => {
  it('marks a one-word change as one removed and one added word', () => {
    const segs = wordDiff('The city learns every day.', 'The city teaches every day.');
    expect(segs).toEqual([
      { kind: 'same', text: 'The city ' },
      { kind: 'removed', text: 'learns' },
      { kind: 'added', text: 'teaches' },
      { kind: 'same', text: ' every day.' },
    ]);
    expect(wordDiff('Cork, Ireland', 'Cork; Ireland')).toEqual([
      { kind: 'removed', text: 'Cork,' },
      { kind: 'added', text: 'Cork;' },
      { kind: 'same', text: ' Ireland' },
    ]);
  });

  it('handles empty, equal and wholly different texts', () => {
    expect(wordDiff('', '')).toEqual([]);
    expect(wordDiff('same', 'same')).toEqual([{ kind: 'same', text: 'same' }]);
    expect(wordDiff('', 'new words')).toEqual([{ kind: 'added', text: 'new words' }]);
    expect(wordDiff('old words', '')).toEqual([{ kind: 'removed', text: 'old words' }]);
    // A lone space between two changes is part of the change.
    expect(wordDiff('a b', 'c d')).toEqual([{ kind: 'removed', text: 'a b' }, { kind: 'added', text: 'c d' }]);
    // Unrelated sentences are one removal and one addition, not a sieve of shared small words.
    expect(wordDiff('To propel development, the city of Espoo is prioritising three areas.', 'The border of the city is where people of many nations live.'))
      .toEqual([
        { kind: 'removed', text: 'To propel development, the city of Espoo is prioritising three areas.' },
        { kind: 'added', text: 'The border of the city is where people of many nations live.' },
      ]);
    expect(wordDiff('one two', 'one two three')).toEqual([{ kind: 'same', text: 'one two' }, { kind: 'added', text: ' three' }]);
  });

  it('rebuilds both texts exactly, for 200 random edits', () => {
    const r = rng(20261130);
    for (let n = 0; n < 200; n++) {
      const before = randomText(r, Math.floor(r() * 60));
      const after = r() < 0.15 ? randomText(r, Math.floor(r() * 60)) : edit(r, before);
      const segs = wordDiff(before, after);
      expect(rebuild(segs), `case ${n}: ${JSON.stringify([before, after])}`).toEqual([before, after]);
      wellFormed(segs);
    }
  });

  it('rebuilds both texts exactly when it falls back to lines and whole blocks', () => {
    const r = rng(7);
    for (let n = 0; n < 100; n++) {
      const before = randomText(r, 10 + Math.floor(r() * 80));
      const after = edit(r, edit(r, before));
      for (const maxCells of [0, 1, 20, 200]) {
        const segs = wordDiff(before, after, { maxCells });
        expect(rebuild(segs), `case ${n}/${maxCells}`).toEqual([before, after]);
        wellFormed(segs);
      }
    }
  });

  it('finishes for texts of 2,000 words, small edits or none in common', () => {
    const r = rng(2000);
    const before = randomText(r, 2000);
    const after = edit(r, edit(r, edit(r, before)));
    const segs = wordDiff(before, after);
    expect(rebuild(segs)).toEqual([before, after]);
    const other = Array.from({ length: 2000 }, (_, i) => `word${i}`).join(' ');
    const segs2 = wordDiff(before, other);
    expect(rebuild(segs2)).toEqual([before, other]);
    // Past the size limit (6,000 × 6,000 tokens): by lines, still exact.
    const big = Array.from({ length: 3000 }, (_, i) => `w${i}${i % 20 === 19 ? '\n' : ' '}`).join('');
    const big2 = big.replace('w1500 ', 'changed ').replace(/w2\d\d /g, 'x ');
    const segs3 = wordDiff(big, big2);
    expect(rebuild(segs3)).toEqual([big, big2]);
    expect(segs3.filter((s) => s.kind === 'removed').length).toBeGreaterThan(0);
  });
});
