// Every sentence the presentation layer (./present.ts) shows, as message tables keyed by id,
// and `t`, which fills a message's {placeholders} and picks its plural form.
//
// Ready for translation: `en` is the reference table, typed as a literal, and `Messages` is the
// shape every other table must have (every key required, checked by TypeScript). A French or
// Spanish table is `const fr: Messages = { … }` added to `TABLES`; a later i18n library
// (Paraglide JS 2, whose inlang message format also writes {name} placeholders and flattens
// nested ids with dots) replaces `t` and the tables without touching the callers.
//
// Labels that Rust owns (facts, sections, Key Features; ./rules.ts, generated) are taken from
// the rules in English, so the two never disagree; a translation gives its own.

import { RULES } from './rules';

/** A plural message: one form per CLDR plural category the language uses; `other` always. */
export type PluralMessage = { readonly other: string } & Partial<Record<Exclude<Intl.LDMLPluralRule, 'other'>, string>>;
/** A message: a text with {placeholders}, or plural forms selected by the `count` parameter. */
export type Message = string | PluralMessage;

const fact = (key: string) => RULES.facts.find((f) => f.key === key)?.label ?? key;
const section = (key: string) => RULES.sections.find((s) => s.key === key)?.label ?? key;
const feature = (n: number) => RULES.key_features[n - 1];

/** The English messages: the reference every translation follows. */
export const en = {
  // Where a submission stands (SubmissionStatus), and an outbox entry (OutboxStatus).
  'status.submitted': 'Submitted',
  'status.in_review': 'In review',
  'status.changes_requested': 'Changes requested',
  'status.accepted': 'Accepted',
  'status.rejected': 'Rejected',
  'status.superseded': 'Replaced by a newer version',
  'outbox.pending': 'Waiting to send',
  'outbox.sent': 'Sent',
  'outbox.failed': 'Failed',

  // Dates and times: "30 Nov 2026, 11:30".
  'date.month.1': 'Jan',
  'date.month.2': 'Feb',
  'date.month.3': 'Mar',
  'date.month.4': 'Apr',
  'date.month.5': 'May',
  'date.month.6': 'Jun',
  'date.month.7': 'Jul',
  'date.month.8': 'Aug',
  'date.month.9': 'Sep',
  'date.month.10': 'Oct',
  'date.month.11': 'Nov',
  'date.month.12': 'Dec',
  'date.date': '{day} {month} {year}',
  'date.time': '{hour}:{minute}',
  'date.date_time': '{date}, {time}',
  'date.unknown_time': 'unknown time',
  'date.unknown_date': 'unknown date',
  'time.never': 'never',
  'time.just_now': 'just now',
  'time.minutes_ago': { one: '{count} minute ago', other: '{count} minutes ago' },
  'time.hours_ago': { one: '{count} hour ago', other: '{count} hours ago' },
  'time.days_ago': { one: '{count} day ago', other: '{count} days ago' },

  // Counts.
  'count.cities': { one: '{count} city', other: '{count} cities' },
  'count.results': { one: '{count} result', other: '{count} results' },
  'count.problems': { one: '{count} problem', other: '{count} problems' },
  'count.changes': { one: '{count} change', other: '{count} changes' },
  'count.comments': { one: '{count} comment', other: '{count} comments' },
  'count.submissions': { one: '{count} submission', other: '{count} submissions' },
  'count.times': { one: '{count} time', other: '{count} times' },
  'count.pages': { one: '{count} page', other: '{count} pages' },
  'count.updates': { one: '{count} update', other: '{count} updates' },
  'count.fields': { one: '{count} field', other: '{count} fields' },
  'count.versions': { one: '{count} version', other: '{count} versions' },

  // Errors, by code (ErrorCode); never the server's transport details.
  'error.invalid_input': 'Some of what was entered is not valid. Check the marked fields and try again.',
  'error.unauthorized': 'The server did not accept your token. Check it in Settings, or ask UIL for a new one.',
  'error.forbidden': 'Your token does not allow this. Ask UIL if you need to do it.',
  'error.not_found': 'This could not be found. It may have been removed.',
  'error.conflict': 'This was changed elsewhere in the meantime. Reload it and try again.',
  'error.idempotency_key_reused': 'This submission was already sent with different content. Submit it again as a new submission.',
  'error.too_large': 'This is too large to send. Shorten the text or use smaller photos.',
  'error.gone': 'This is no longer available.',
  'error.timeout': 'The server took too long to answer. Your work is saved; try again later.',
  'error.method_not_allowed': 'The server does not support this request. The app may need an update.',
  'error.rate_limited': 'Too many requests in a short time. Wait a minute, then try again.',
  'error.busy': 'The app is busy with another task. Try again in a moment.',
  'error.offline': "Can't reach the server. Your work is saved and will be sent later.",
  'error.io': 'A file could not be read or written. Check that the disk has space and the folder can be written to.',
  'error.storage': "The app's local data could not be read or written. Restart the app and try again.",
  'error.internal': 'Something went wrong in the app. Try again; if it keeps happening, tell UIL.',
  'error.unknown': 'Something went wrong. Try again.',
  'error.context.load': "Couldn't load this: {reason}",
  'error.context.save': "Couldn't save: {reason}",
  'error.context.submit': "Couldn't submit: {reason}",
  'error.context.sync': "Couldn't sync: {reason}",
  'error.context.export': "Couldn't export the PDF: {reason}",
  'error.context.compare': "Couldn't compare the versions: {reason}",
  'error.context.sign_in': "Couldn't sign in: {reason}",
  'error.context.decide': "Couldn't record the decision: {reason}",

  // Who a token acts for.
  'identity.staff': 'UIL staff',
  'identity.coordinator': 'Coordinator of {city}',
  'identity.coordinator_unknown': 'Coordinator of your city',
  'identity.none': 'Not signed in',

  // Field labels (paths of diffs and validation errors).
  'field.document': 'The whole portrait',
  'field.tagline': 'Tagline',
  'field.lead': 'Lead paragraph',
  'field.facts': 'Facts',
  'field.fact.population': fact('population'),
  'field.fact.area_km2': fact('area_km2'),
  'field.fact.gdp_city_usd': fact('gdp_city_usd'),
  'field.fact.gdp_country_usd': fact('gdp_country_usd'),
  'field.fact.schooling_years': fact('schooling_years'),
  'field.fact_part.year': '{fact} (year)',
  'field.fact_part.men': '{fact} (men)',
  'field.fact_part.women': '{fact} (women)',
  'field.fact_part.note': '{fact} (note)',
  'field.fact_part.printed': '{fact} (as printed)',
  'field.section.vision': section('vision'),
  'field.section.challenges': section('challenges'),
  'field.section.plan': section('plan'),
  'field.quote': 'Quote',
  'field.quote.text': 'Quote: words',
  'field.quote.speaker': 'Quote: speaker',
  'field.quote.role': 'Quote: role',
  'field.quote.attribution': 'Quote: attribution',
  'field.contacts': 'Contacts',
  'field.contact': 'Contact {n}',
  'field.highlights': 'Highlights',
  'field.highlight': 'Highlight {n}',
  'field.photos': 'Photos',
  'field.photo': 'Photo {n}',
  'field.key_feature_areas': 'Key feature areas',
  'field.key_feature_area': 'Key feature area {n}',
  'field.city': 'City',
  'field.city.id': 'City identifier',
  'field.city.name': 'City name',
  'field.city.country': 'Country',
  'field.city.country.name': 'Country',
  'field.city.country.code': 'Country code',
  'field.city.region': 'Region',
  'field.city.member_since': 'Member since',
  'field.city.awards': 'Award years',
  'field.city.award': 'Award year {n}',
  'field.source': 'Source',
  'field.source.booklet': 'Booklet',
  'field.source.published': 'Publication date',
  'field.version': 'Version',
  'field.schema_version': 'Format version',
  'field.feed_url': 'Feed URL',
  'field.sync_minutes': 'Sync interval',
  'field.token': 'Token',
  'field.comment': 'Comment',
  'field.decision': 'Decision',
  'field.title': 'Title',
  'field.cities': 'Cities',
  'field.booklet_city': 'City {n}',
  'field.item_part': '{item}: {part}',
  'field.part.name': 'name',
  'field.part.role': 'role',
  'field.part.organisation': 'organisation',
  'field.part.email': 'email',
  'field.part.caption': 'caption',
  'field.part.credit': 'credit',
  'field.part.licence': 'licence',
  'field.part.sha256': 'image',
  'field.part.mime': 'image type',
  'field.part.city': 'city',
  'field.part.version': 'version',

  // Key Features of Learning Cities (from the rules).
  'key_feature.1': feature(1),
  'key_feature.2': feature(2),
  'key_feature.3': feature(3),
  'key_feature.4': feature(4),
  'key_feature.5': feature(5),
  'key_feature.6': feature(6),
  'key_feature.7': feature(7),
  'key_feature.8': feature(8),
  'key_feature.9': feature(9),
  'key_feature.10': feature(10),
  'key_feature.11': feature(11),
  'key_feature.12': feature(12),
  'key_feature.unknown': 'Key feature {n}',

  // Values, as a diff shows them.
  'value.empty': '(empty)',
  'value.na': 'n/a',
  'value.yes': 'Yes',
  'value.no': 'No',
  'value.fact': '{value} ({year})',
  'value.fact_no_year': '{value} (year not given)',
  'value.split': 'men {men}, women {women}',
  'value.quote': '‘{text}’ — {speaker}',
  'value.quote_role': '‘{text}’ — {speaker}, {role}',
  'value.no_caption': '(no caption)',
  'value.photo_credit': '{caption} (photo: {credit})',
  'value.list_separator': '; ',
  'value.pair': '{key}: {value}',
  'value.more': '…',

  // Data-quality warnings (by their code; the others keep Rust's words).
  'warning.not_available': '{field}: not available',
  'warning.missing_year': '{field}: the year of the figure is not given',

  // The sync indicator.
  'sync.syncing': 'Syncing…',
  'sync.online': 'Online',
  'sync.offline': 'Offline',
  'sync.since': 'Since {time}',
  'sync.last_synced': 'last synced {when}',
  'sync.last_synced_at': 'Last synced {time}',
  'sync.pending': { one: '{count} pending submission', other: '{count} pending submissions' },
  'sync.held': { one: '{count} update held back', other: '{count} updates held back' },
  'sync.held_title': 'Updates the sync could not apply yet: see why in Settings',
  'sync.now': 'Sync now',

  // The city screen.
  'city.all_cities': '← All cities',
  'city.back_to_results': '← Back to the results for “{query}”',
  'partners.title': 'Partner cities',
  'partners.intro': 'Cities that share this city\'s themes, Key Feature areas and size, each with the reasons.',
  'partners.find': 'Find partners',
  'partners.compare': 'Compare with {name}',
  'partners.none': 'No other city to compare with.',
  'partners.score': 'Shares {score} % by the partner finder\'s measure',
  'city.actions': 'Actions',
  'city.edit': 'Edit',
  'city.sign_in_to_edit': "Sign in as this city's coordinator (Settings) to edit.",
  'city.export': 'Export PDF',
  'city.export_progress': 'Page {page} of {pages}',
  'city.exported': 'Wrote {file} ({pages}).',
  'city.open_pdf': 'Open PDF',
  'city.show_in_folder': 'Show in folder',
  'city.warnings': 'Data-quality warnings',
  'city.versions': 'Versions',
  'city.version': 'Version {version}',
  'city.version_edited': 'edited in the app',
  'city.version_booklet': 'published in a booklet',
  'city.compare_from': 'From',
  'city.compare_to': 'to',
  'city.compare': 'Compare',
  'city.no_differences': 'No differences.',
  'city.removed': 'Removed',
  'city.added': 'Added',
} as const satisfies Record<string, Message>;

/** A message id. */
export type MessageKey = keyof typeof en;
/** The shape of a message table: every key of `en`, each a text or plural forms. */
export type Messages = { readonly [K in MessageKey]: Message };

/** The message tables by locale. Add a translation here (and to `Locale`). */
export const TABLES = { en } as const satisfies Record<string, Messages>;
/** A locale with a message table. */
export type Locale = keyof typeof TABLES;
export const DEFAULT_LOCALE: Locale = 'en';

/** The values of a message's {placeholders}; `count` also selects the plural form. */
export type Params = Record<string, string | number>;

/** Whether `key` is a message id (for keys built at run time, e.g. from a status code). */
export function hasMessage(key: string, locale: Locale = DEFAULT_LOCALE): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(TABLES[locale], key);
}

const pluralRules = new Map<string, Intl.PluralRules>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function plural(locale: Locale, n: number): Intl.LDMLPluralRule {
  let r = pluralRules.get(locale);
  if (!r) pluralRules.set(locale, (r = new Intl.PluralRules(locale)));
  return r.select(n);
}

function formatCount(locale: Locale, n: number): string {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, (f = new Intl.NumberFormat(locale, { maximumFractionDigits: 20 })));
  return f.format(n);
}

/**
 * The message `key` in `locale`, with its {placeholders} filled from `params`. A plural
 * message picks its form by `params.count` (Intl.PluralRules), and `{count}` is written with
 * the locale's digit grouping ("1,234"); other numbers are written as they are (years stay
 * "2015"). A placeholder without a value is left as it is.
 */
export function t(key: MessageKey, params: Params = {}, locale: Locale = DEFAULT_LOCALE): string {
  const m: Message = TABLES[locale][key];
  let text: string;
  if (typeof m === 'string') text = m;
  else {
    const n = Number(params.count ?? 0);
    text = m[plural(locale, n)] ?? m.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    return name === 'count' && typeof v === 'number' ? formatCount(locale, v) : String(v);
  });
}
