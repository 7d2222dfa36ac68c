/**
 * Where Cloudflare's location-hint regions are, and how far apart in round-trip time (ms).
 *
 * Source of the measured pairs: "Latency Between AWS Global Regions" (average ping between EC2 instances, both
 * directions), as tabulated in https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html. Each hint
 * region is represented by one AWS region in or near it. The table has no region in Africa or the Middle East:
 * `afr` and `me` are estimated from great-circle distance with the straight line fitted to the 21 measured pairs
 * (see `fitted`), so their figures are the model's weakest. Same-region round trips are an assumption (below).
 */

export const REGIONS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type Region = (typeof REGIONS)[number];

export interface Site {
  /** The city (AWS region) standing for the hint region. */
  readonly city: string;
  readonly lat: number;
  readonly lon: number;
  /** Whether its round trips are measured (true) or estimated from distance (false). */
  readonly measured: boolean;
}

export const SITES: Readonly<Record<Region, Site>> = {
  wnam: { city: "N. California (us-west-1)", lat: 37.34, lon: -121.89, measured: true },
  enam: { city: "N. Virginia (us-east-1)", lat: 38.95, lon: -77.45, measured: true },
  sam: { city: "São Paulo (sa-east-1)", lat: -23.55, lon: -46.63, measured: true },
  weur: { city: "Ireland (eu-west-1)", lat: 53.35, lon: -6.26, measured: true },
  eeur: { city: "Frankfurt (eu-central-1)", lat: 50.11, lon: 8.68, measured: true },
  apac: { city: "Tokyo (ap-northeast-1)", lat: 35.68, lon: 139.69, measured: true },
  oc: { city: "Sydney (ap-southeast-2)", lat: -33.87, lon: 151.21, measured: true },
  afr: { city: "Cape Town (estimated)", lat: -33.92, lon: 18.42, measured: false },
  me: { city: "Bahrain (estimated)", lat: 26.23, lon: 50.59, measured: false },
};

/** Measured average round trips (ms), the mean of both directions of the source table. */
export const MEASURED_RTT_MS: readonly (readonly [Region, Region, number])[] = [
  ["wnam", "enam", 72.2],
  ["wnam", "sam", 192.7],
  ["wnam", "weur", 153.2],
  ["wnam", "eeur", 166.6],
  ["wnam", "apac", 102.5],
  ["wnam", "oc", 157.7],
  ["enam", "sam", 119.5],
  ["enam", "weur", 80.5],
  ["enam", "eeur", 88.6],
  ["enam", "apac", 145.3],
  ["enam", "oc", 229.9],
  ["sam", "weur", 191.3],
  ["sam", "eeur", 194.9],
  ["sam", "apac", 256.8],
  ["sam", "oc", 322.5],
  ["weur", "eeur", 19.6],
  ["weur", "apac", 212.4],
  ["weur", "oc", 309.6],
  ["eeur", "apac", 236.5],
  ["eeur", "oc", 323.4],
  ["apac", "oc", 103.9],
];

/**
 * Round trip between a point of presence and an object in the same hint region (ms). An assumption, not a
 * measurement: a hint region spans half a continent (Ireland to Frankfurt is 19.6 ms above), and the PoP that
 * serves a client is rarely in the data centre that hosts the object.
 */
export const SAME_REGION_RTT_MS = 10;

/** Great-circle distance (km). */
export function distanceKm(a: Site, b: Site): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

/** Least-squares line rtt = base + perKm * km through the measured pairs: how unmeasured pairs are estimated. */
export const fitted: { readonly baseMs: number; readonly perKmMs: number } = (() => {
  const points = MEASURED_RTT_MS.map(([a, b, ms]) => [distanceKm(SITES[a], SITES[b]), ms] as const);
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const perKmMs = sxy / sxx;
  return { baseMs: my - perKmMs * mx, perKmMs };
})();

const measured = new Map<string, number>();
for (const [a, b, ms] of MEASURED_RTT_MS) {
  measured.set(`${a}/${b}`, ms);
  measured.set(`${b}/${a}`, ms);
}

/** Round trip between two hint regions (ms): measured where the source has it, else estimated from distance. */
export function rttMs(a: Region, b: Region): number {
  if (a === b) return SAME_REGION_RTT_MS;
  const known = measured.get(`${a}/${b}`);
  if (known !== undefined) return known;
  const estimate = fitted.baseMs + fitted.perKmMs * distanceKm(SITES[a], SITES[b]);
  return Math.round(Math.max(SAME_REGION_RTT_MS, estimate) * 10) / 10;
}

/** The round trip from `from` to the farthest member of its nearest majority among acceptors in `hints`. */
export function nearestMajorityRttMs(from: Region, hints: readonly Region[]): number {
  const sorted = hints.map((h) => rttMs(from, h)).sort((x, y) => x - y);
  return sorted[Math.floor(hints.length / 2)] as number;
}
