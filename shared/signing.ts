/**
 * HMAC-SHA256 request signing between the edge and the media nodes (both directions).
 *
 * Each node has its own key, derived from the edge's master secret and the node id
 * ({@link deriveNodeKey}): a node holds only its key, so it can speak for itself and nobody else.
 * The signature covers a timestamp, a random nonce, the party (which node, and which direction:
 * {@link toNode} / {@link fromNode}), the method, the path with its query and the exact body
 * text, so a captured request cannot be altered, cannot be replayed on another node or in the
 * other direction, and cannot be replayed once its timestamp leaves the window, falls below a
 * floor (`notBefore`), or its nonce has been seen (see {@link ReplayGuard}).
 * Uses only WebCrypto, which Node and the Workers runtime both provide.
 */
import { SIGNATURE_WINDOW_MS } from './limits.ts';

export const SIGNATURE_HEADER = 'x-media-signature';
export const TIMESTAMP_HEADER = 'x-media-timestamp';
export const NONCE_HEADER = 'x-media-nonce';

/** v2: the party joined the signed text (v1 had none). */
const SCHEME = 'v2=';
const encoder = new TextEncoder();
/** Written this way so the file typechecks under both Node's and the Workers' global types. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();
/** Bounds the key caches: one entry per secret in use (a few nodes, rotation included). */
const MAX_CACHED_KEYS = 1_024;
const derived = new Map<string, Promise<string>>();

export interface SignableRequest {
  method: string;
  /** Path and query exactly as sent, e.g. `/internal/v1/sessions/abc/offer`. */
  path: string;
  /** The body text exactly as sent; `''` for none. */
  body: string;
  /** Who the request is for or from: {@link toNode} or {@link fromNode}. */
  party: string;
}

/** The party of an edge -> node request: a request replayed on another node is refused. */
export function toNode(nodeId: string): string {
  return `edge->node:${nodeId}`;
}

/** The party of a node -> edge request: the node id whose key signs it. */
export function fromNode(nodeId: string): string {
  return `node->edge:${nodeId}`;
}

export type VerifyFailure =
  | 'missing_headers'
  | 'malformed'
  | 'expired'
  | 'bad_signature'
  | 'replayed';
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

export interface VerifyOptions {
  /** Now, in ms since the epoch. */
  now?: number;
  /** Accepted clock distance either side of `now`, in ms. */
  windowMs?: number;
  /** Remembers nonces; without one, a replay inside the window is not detected. */
  replayGuard?: ReplayGuard;
  /**
   * Timestamps below this (ms since epoch) are refused as `replayed`: a node's process start,
   * so a request captured before a restart is not accepted by the new process.
   */
  notBefore?: number;
}

/** Keeps `map` under {@link MAX_CACHED_KEYS} entries (oldest first out). */
function remember<V>(map: Map<string, V>, key: string, value: V): V {
  map.set(key, value);
  if (map.size > MAX_CACHED_KEYS) map.delete(map.keys().next().value as string);
  return value;
}

function hmacKey(secret: string): Promise<HmacKey> {
  return (
    keys.get(secret) ??
    remember(
      keys,
      secret,
      crypto.subtle.importKey(
        'raw',
        encoder.encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign', 'verify'],
      ),
    )
  );
}

/**
 * The key of one node: hex HMAC-SHA256(master, `node:<nodeId>`). The edge derives it to verify
 * and sign; an operator derives it once per node (`npm run -s node-key -- <nodeId>`) and gives
 * the node only that value (`NODE_KEY`).
 */
export function deriveNodeKey(master: string, nodeId: string): Promise<string> {
  const cacheKey = `${master}\n${nodeId}`;
  return (
    derived.get(cacheKey) ??
    remember(
      derived,
      cacheKey,
      hmacKey(master).then(async (key) =>
        toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(`node:${nodeId}`))),
      ),
    )
  );
}

function canonical(req: SignableRequest, timestamp: string, nonce: string): Uint8Array {
  return encoder.encode(
    `${timestamp}\n${nonce}\n${req.party}\n${req.method.toUpperCase()}\n${req.path}\n${req.body}`,
  );
}

/** Two hex digits per byte value: the edge signs every node call (nonce and MAC in hex). */
const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function toHex(bytes: ArrayBuffer): string {
  let out = '';
  for (const b of new Uint8Array(bytes)) out += HEX_BYTES[b];
  return out;
}

function fromHex(hex: string): Uint8Array | undefined {
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A fresh random nonce (128 bits, hex). */
export function randomNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return toHex(bytes.buffer);
}

/** The headers that sign `req` with `secret`. */
export async function signRequest(
  secret: string,
  req: SignableRequest,
  now: number = Date.now(),
  nonce: string = randomNonce(),
): Promise<Record<string, string>> {
  const timestamp = String(now);
  const mac = await crypto.subtle.sign(
    'HMAC',
    await hmacKey(secret),
    canonical(req, timestamp, nonce),
  );
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: SCHEME + toHex(mac),
  };
}

/** Reads a header case-insensitively from a `Headers` or a plain record. */
type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a signed request. The comparison is WebCrypto's constant-time `verify`.
 * Order: headers present, timestamp inside the window, signature valid, nonce unseen
 * (a nonce is remembered only once its signature is valid, so forgeries cannot fill the guard).
 */
export async function verifyRequest(
  secret: string,
  req: SignableRequest,
  headers: HeaderSource,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const now = options.now ?? Date.now();
  const windowMs = options.windowMs ?? SIGNATURE_WINDOW_MS;
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const nonce = header(headers, NONCE_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (!timestamp || !nonce || !signature) return { ok: false, reason: 'missing_headers' };
  const ts = Number(timestamp);
  const mac = signature.startsWith(SCHEME) ? fromHex(signature.slice(SCHEME.length)) : undefined;
  if (!/^\d{1,16}$/.test(timestamp) || !mac || nonce.length > 128) {
    return { ok: false, reason: 'malformed' };
  }
  if (Math.abs(now - ts) > windowMs) return { ok: false, reason: 'expired' };
  if (options.notBefore !== undefined && ts < options.notBefore) {
    return { ok: false, reason: 'replayed' };
  }
  const valid = await crypto.subtle.verify(
    'HMAC',
    await hmacKey(secret),
    mac,
    canonical(req, timestamp, nonce),
  );
  if (!valid) return { ok: false, reason: 'bad_signature' };
  if (options.replayGuard && !options.replayGuard.remember(nonce, ts, now)) {
    return { ok: false, reason: 'replayed' };
  }
  return { ok: true };
}

/**
 * Remembers the nonces of accepted requests for as long as their timestamps stay inside the
 * window, so each signed request is accepted at most once. Memory is bounded by `maxEntries`;
 * past it the oldest nonces are forgotten first (they are also the first to expire).
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #windowMs: number;
  readonly #maxEntries: number;

  constructor(windowMs: number = SIGNATURE_WINDOW_MS, maxEntries = 100_000) {
    this.#windowMs = windowMs;
    this.#maxEntries = maxEntries;
  }

  /** Records `nonce`; false when it was already seen. */
  remember(nonce: string, timestamp: number, now: number): boolean {
    this.#prune(now);
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, timestamp + this.#windowMs);
    while (this.#seen.size > this.#maxEntries) {
      const oldest = this.#seen.keys().next().value;
      if (oldest === undefined) break;
      this.#seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #prune(now: number): void {
    // Insertion order is close to expiry order; stop at the first entry still alive.
    for (const [nonce, expiresAt] of this.#seen) {
      if (expiresAt >= now) break;
      this.#seen.delete(nonce);
    }
  }
}
