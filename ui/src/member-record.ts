// The member record of a portrait (schema v2) as the Edit form handles it: the thematic
// clusters in the network's order, coordinates typed as text, the interests table, and the
// references to people (mayor, focal point) that must follow the contacts they point at.

import type { Cluster } from './bindings/Cluster';
import type { Interest } from './bindings/Interest';
import type { Location } from './bindings/Location';
import type { PersonRef } from './bindings/PersonRef';
import type { Portrait } from './bindings/Portrait';

/** The seven thematic clusters, in the network's (and Rust's `Cluster::ALL`) order. */
export const CLUSTERS = [
  'education_for_sustainable_development',
  'equity_and_inclusion',
  'educational_planning_monitoring_and_evaluation',
  'global_citizenship_education',
  'entrepreneurship',
  'health_and_wellbeing',
  'literacy',
] as const satisfies readonly Cluster[];

// A cluster added on the Rust side and missing here fails type-checking.
type Missing = Exclude<Cluster, (typeof CLUSTERS)[number]>;
const _allClusters: [Missing] extends [never] ? true : false = true;
void _allClusters;

/** Clusters in the network's order, each once. */
export function sortClusters(list: Iterable<Cluster>): Cluster[] {
  const set = new Set(list);
  return CLUSTERS.filter((c) => set.has(c));
}

/**
 * A coordinate as typed: "" (none), a number within ±max ("51.9", "51,9", "-8.47"), or null
 * when it is not one yet.
 */
export function parseCoordinate(text: string, max: number): number | '' | null {
  const t = text.trim().replace(/\s+/g, '').replace(',', '.');
  if (t === '') return '';
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) && Math.abs(v) <= max ? v : null;
}

export interface CoordText { lat: string; lon: string }

/** The location the two fields give, or the problems to show next to them. */
export function readLocation(text: CoordText): { location: Location | null; errors: { path: string; message: string }[] } {
  const lat = parseCoordinate(text.lat, 90);
  const lon = parseCoordinate(text.lon, 180);
  const errors: { path: string; message: string }[] = [];
  if (lat === null) errors.push({ path: '$.location.lat', message: 'a latitude, from -90 (south) to 90 (north)' });
  if (lon === null) errors.push({ path: '$.location.lon', message: 'a longitude, from -180 (west) to 180 (east)' });
  if (errors.length) return { location: null, errors };
  if (lat === '' && lon === '') return { location: null, errors };
  if (lat === '') return { location: null, errors: [{ path: '$.location.lat', message: 'give the latitude too, or clear both' }] };
  if (lon === '') return { location: null, errors: [{ path: '$.location.lon', message: 'give the longitude too, or clear both' }] };
  return { location: { lat: lat as number, lon: lon as number }, errors };
}

export function locationText(l: Location | null): CoordText {
  return l ? { lat: String(l.lat), lon: String(l.lon) } : { lat: '', lon: '' };
}

/** A reference as a select's value: "", "quote", "contact:0". */
export function refValue(r: PersonRef | null): string {
  if (r == null) return '';
  return r === 'quote' ? 'quote' : `contact:${r.contact}`;
}

export function refFromValue(v: string): PersonRef | null {
  if (v === 'quote') return 'quote';
  const m = /^contact:(\d+)$/.exec(v);
  return m ? { contact: Number(m[1]) } : null;
}

/** A reference after contact `removed` is taken out of the list: its own contact → null, later ones move up. */
export function afterContactRemoved(r: PersonRef | null, removed: number): PersonRef | null {
  if (r == null || r === 'quote') return r;
  if (r.contact === removed) return null;
  return r.contact > removed ? { contact: r.contact - 1 } : r;
}

/** Takes contact `i` out of the portrait, keeping the mayor and focal point on their people. */
export function removeContact(p: Pick<Portrait, 'contacts' | 'mayor' | 'focal_point'>, i: number): void {
  p.contacts.splice(i, 1);
  p.mayor = afterContactRemoved(p.mayor, i);
  p.focal_point = afterContactRemoved(p.focal_point, i);
}

/** Takes the quote out, and the references to its speaker with it. */
export function removeQuote(p: Pick<Portrait, 'quote' | 'mayor' | 'focal_point'>): void {
  p.quote = null;
  if (p.mayor === 'quote') p.mayor = null;
  if (p.focal_point === 'quote') p.focal_point = null;
}

/** The interests table's rows as typed: theme → interest and expertise ("" for not rated). */
export type InterestRows = Record<Cluster, { interest: string; expertise: string }>;

export function interestRows(list: readonly Interest[]): InterestRows {
  const rows = Object.fromEntries(CLUSTERS.map((c) => [c, { interest: '', expertise: '' }])) as InterestRows;
  for (const it of list) rows[it.theme] = { interest: String(it.interest), expertise: String(it.expertise) };
  return rows;
}

/** The interests the table gives (both ratings of a theme, or neither), and the half-rated themes. */
export function readInterests(rows: InterestRows): { interests: Interest[]; errors: { path: string; message: string }[] } {
  const interests: Interest[] = [];
  const errors: { path: string; message: string }[] = [];
  for (const theme of CLUSTERS) {
    const r = rows[theme];
    if (r.interest === '' && r.expertise === '') continue;
    if (r.interest === '' || r.expertise === '') {
      errors.push({ path: `$.interests.${theme}`, message: 'rate both the interest and the expertise, or neither' });
      continue;
    }
    interests.push({ theme, interest: Number(r.interest), expertise: Number(r.expertise) });
  }
  return { interests, errors };
}
