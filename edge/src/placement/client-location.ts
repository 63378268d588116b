/**
 * Where a client is, as far as the edge can tell. In production Cloudflare puts it on every
 * request (`request.cf`: latitude and longitude as strings, continent, colo; derived from the
 * client's address, so city-level at best). A local stack has no `cf`, so tests and demos may
 * send `x-client-location: <lat>,<lon>` instead, honoured only when TRUST_LOCATION_HEADER is
 * set: any client can write that header, and a trusted one would let it pick its node.
 */
import { MediaError } from '../../../shared/errors.ts';
import { parseGeoHeader, parseGeoPoint } from '../../../shared/geo.ts';
import type { ClientLocation as RuleClient } from '../../../shared/placement.ts';

export const LOCATION_HEADER = 'x-client-location';

export interface ClientLocation extends RuleClient {
  /** Cloudflare's two-letter continent code (`EU`, `NA`, ...), when known. */
  continent?: string;
  /** The Cloudflare data center that took the request (IATA code), when known. */
  colo?: string;
}

/** The parts of `request.cf` read here (strings, as Cloudflare sends them). */
interface CfLocation {
  latitude?: unknown;
  longitude?: unknown;
  continent?: unknown;
  colo?: unknown;
}

/**
 * The client's location: the trusted header when TRUST_LOCATION_HEADER is set and the request
 * carries it (a malformed one is a 400), else `request.cf`, else null (placement by load only).
 */
export function clientLocation(
  headers: Headers,
  cf: CfLocation | undefined,
  trustHeader: boolean,
): ClientLocation | null {
  const header = trustHeader ? headers.get(LOCATION_HEADER) : null;
  if (header !== null) {
    const parsed = parseGeoHeader(header);
    if (!parsed) {
      throw new MediaError(
        'invalid_request',
        `${LOCATION_HEADER} must be "<latitude>,<longitude>" in decimal degrees`,
        { field: LOCATION_HEADER },
      );
    }
    return parsed;
  }
  const fromCf = cf ? parseGeoPoint(cf.latitude, cf.longitude) : null;
  if (!fromCf) return null;
  const location: ClientLocation = fromCf;
  if (typeof cf?.continent === 'string') location.continent = cf.continent;
  if (typeof cf?.colo === 'string') location.colo = cf.colo;
  return location;
}

/**
 * The Durable Object location hint nearest a client: from its continent, split east / west
 * where Cloudflare has two hints. Undefined when nothing is known (no hint: Cloudflare places
 * the object near the first request anyway) or for Antarctica.
 */
export function locationHintFor(
  location: ClientLocation | null,
): DurableObjectLocationHint | undefined {
  if (!location) return undefined;
  const { continent, lat: latitude, lon: longitude } = location;
  switch (continent ?? continentOf(latitude, longitude)) {
    case 'NA':
      return longitude < -100 ? 'wnam' : 'enam';
    case 'SA':
      return 'sam';
    case 'EU':
      return longitude < 20 ? 'weur' : 'eeur';
    case 'AF':
      return 'afr';
    case 'AS':
      // West Asia (the Middle East) has its own hint; Central Asia is nearer Europe's east.
      if (longitude < 63) return latitude < 38 ? 'me' : 'eeur';
      return 'apac';
    case 'OC':
      return 'oc';
    default:
      return undefined;
  }
}

/**
 * A rough continent for a bare point (the trusted header carries no continent): boxes good
 * enough to pick a region hint, not a geography lesson.
 */
function continentOf(latitude: number, longitude: number): string | undefined {
  if (latitude < -60) return undefined;
  if (longitude < -30) return latitude > 13 ? 'NA' : 'SA';
  if (longitude < 60) {
    if (latitude > 36 || (latitude > 35 && longitude < 30)) return 'EU';
    if (longitude > 35 && latitude > 12) return 'AS';
    return 'AF';
  }
  if (latitude < -10 && longitude > 110) return 'OC';
  return 'AS';
}
