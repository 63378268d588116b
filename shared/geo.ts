/**
 * Points on the Earth: validation at the boundary (node settings, `request.cf`, the trusted
 * `x-client-location` header) and great-circle distance for placement. Pure: no I/O.
 */

export interface GeoPoint {
  /** Degrees north, -90..90. */
  lat: number;
  /** Degrees east, -180..180. */
  lon: number;
}

/** Mean Earth radius (IUGG), km: the haversine error against the ellipsoid stays under 0.5 %. */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

export function isLatitude(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= -90 && value <= 90;
}

export function isLongitude(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= -180 && value <= 180;
}

export function isGeoPoint(value: { lat?: unknown; lon?: unknown } | null | undefined): boolean {
  return value != null && isLatitude(value.lat) && isLongitude(value.lon);
}

/** A plain decimal: optional sign, digits, optional fraction. No exponent, hex, NaN or Infinity. */
const DECIMAL = /^[+-]?\d{1,3}(?:\.\d{1,12})?$/;

/**
 * One coordinate as a number: a finite number as is, or a plain decimal string (`request.cf`
 * gives latitude and longitude as strings). Anything else is null.
 */
function coordinate(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return DECIMAL.test(text) ? Number(text) : null;
}

/**
 * A point from a latitude and a longitude given as numbers or decimal strings; null unless both
 * are finite and in range (lat -90..90, lon -180..180).
 */
export function parseGeoPoint(lat: unknown, lon: unknown): GeoPoint | null {
  const la = coordinate(lat);
  const lo = coordinate(lon);
  if (!isLatitude(la) || !isLongitude(lo)) return null;
  return { lat: la, lon: lo };
}

/** Longest header value accepted: two 3-digit integers with 12 decimals, a comma and spaces. */
const MAX_HEADER_CHARS = 64;

/** The header form `"<lat>,<lon>"` (e.g. `"-33.87,151.21"`); null when malformed or out of range. */
export function parseGeoHeader(value: string | null | undefined): GeoPoint | null {
  if (value == null || value.length > MAX_HEADER_CHARS) return null;
  const parts = value.split(',');
  if (parts.length !== 2) return null;
  return parseGeoPoint(parts[0], parts[1]);
}

/** Great-circle distance in km (haversine on a sphere of radius `EARTH_RADIUS_KM`). */
export function greatCircleKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  // min(1, ..) guards rounding just above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, h)));
}
