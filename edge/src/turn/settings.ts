/**
 * TURN settings of the edge (`TURN_URLS`, `TURN_SECRET`, `TURN_TTL_S`), parsed apart from the
 * main config so that a deployment without TURN reads nothing here. Validated once per env
 * object with a message naming the variable, like config.ts.
 */

/** What a TURN url may look like: RFC 7065 `turn:` / `turns:` host[:port][?transport=udp|tcp]. */
const TURN_URL = /^turns?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;
/** Default credential lifetime, in seconds (coturn's own examples use a day; an hour is enough). */
export const DEFAULT_TURN_TTL_S = 3600;
const MIN_TURN_TTL_S = 60;
const MAX_TURN_TTL_S = 86_400;
const MAX_TURN_URLS = 8;

/** Cloudflare's TURN service instead of your own coturn: `TURN_URLS=cloudflare:<TURN key id>`. */
const CLOUDFLARE = /^cloudflare:([0-9a-fA-F]{32})$/;

/** Your own coturn, credentials minted here (credentials.ts). */
export interface CoturnSettings {
  kind: 'coturn';
  urls: string[];
  /** Shared with coturn's `static-auth-secret` (secret). */
  secret: string;
  /** Lifetime of each minted credential, in seconds. */
  ttlS: number;
}

/** Cloudflare's TURN: credentials from its API per session (cloudflare.ts). */
export interface CloudflareTurnSettings {
  kind: 'cloudflare';
  /** The TURN key id (public, part of the API url). */
  keyId: string;
  /** The TURN key's API token (`TURN_SECRET`, secret). */
  apiToken: string;
  ttlS: number;
}

export type TurnSettings = CoturnSettings | CloudflareTurnSettings;

export interface TurnEnv {
  TURN_URLS?: string;
  TURN_SECRET?: string;
  TURN_TTL_S?: string;
}

/**
 * Parses the TURN settings; `undefined` when `TURN_URLS` is unset or empty (no TURN).
 * Throws an `Error` naming the variable on a bad value (a deployment mistake, like config.ts).
 */
export function parseTurnSettings(env: TurnEnv): TurnSettings | undefined {
  const raw = env.TURN_URLS?.trim() ?? '';
  if (raw === '') return undefined;
  const secret = env.TURN_SECRET ?? '';
  if (secret.length < 16) {
    throw new Error(
      'invalid edge configuration: TURN_SECRET must be set (at least 16 characters) when TURN_URLS is',
    );
  }
  const ttlS = parseTtl(env.TURN_TTL_S);
  const cloudflare = CLOUDFLARE.exec(raw);
  if (cloudflare?.[1]) return { kind: 'cloudflare', keyId: cloudflare[1], apiToken: secret, ttlS };
  const urls = raw.split(',').map((u) => u.trim());
  if (urls.length > MAX_TURN_URLS) {
    throw new Error(`invalid edge configuration: TURN_URLS: at most ${MAX_TURN_URLS} urls`);
  }
  for (const url of urls) {
    const port = /:(\d+)(\?|$)/.exec(url)?.[1];
    if (
      !TURN_URL.test(url) ||
      (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))
    ) {
      throw new Error(
        `invalid edge configuration: TURN_URLS: ${JSON.stringify(url)} is not a turn:/turns: url (host[:port][?transport=udp|tcp])`,
      );
    }
  }
  return { kind: 'coturn', urls, secret, ttlS };
}

function parseTtl(raw: string | undefined): number {
  const text = raw?.trim() ?? '';
  const ttlS = text === '' ? DEFAULT_TURN_TTL_S : Number(text);
  if (!Number.isInteger(ttlS) || ttlS < MIN_TURN_TTL_S || ttlS > MAX_TURN_TTL_S) {
    throw new Error(
      `invalid edge configuration: TURN_TTL_S must be an integer number of seconds between ${MIN_TURN_TTL_S} and ${MAX_TURN_TTL_S}, got ${JSON.stringify(raw)}`,
    );
  }
  return ttlS;
}

const cache = new WeakMap<object, TurnSettings | undefined>();

/** `parseTurnSettings` memoized per env object (the Worker's env is stable per isolate). */
export function turnSettings(env: TurnEnv): TurnSettings | undefined {
  if (cache.has(env)) return cache.get(env);
  const parsed = parseTurnSettings(env);
  cache.set(env, parsed);
  return parsed;
}
