/**
 * Webhook settings (spread into the edge's config schema, config.ts): where events go, the
 * Standard Webhooks signing secret, and the delivery timings. Empty `WEBHOOK_URLS` turns
 * webhooks off, and then nothing on a request's path does any webhook work.
 */
import { z } from 'zod';

/** Receivers at most: each event is queued once per receiver. */
export const MAX_WEBHOOK_URLS = 10;
/** Standard Webhooks secrets: `whsec_` + base64 of 24..64 random bytes. */
const SECRET_PREFIX = 'whsec_';
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

function intVar(def: number, min: number, max: number) {
  return z.preprocess(
    (v) => (v === undefined || v === '' ? def : Number(v)),
    z.number().int().min(min).max(max),
  );
}

/** `a,b` -> trimmed, non-empty entries. */
function splitList(v: unknown): unknown {
  if (v === undefined || v === '') return [];
  if (typeof v !== 'string') return v;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const webhookUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '';
  } catch {
    return false;
  }
}, 'each WEBHOOK_URLS entry must be an absolute http:// or https:// URL without credentials');

/** The decoded key of a `whsec_<base64>` secret, or undefined when it is not one. */
export function secretKeyBytes(secret: string): Uint8Array | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  return bytes.length >= MIN_SECRET_BYTES && bytes.length <= MAX_SECRET_BYTES ? bytes : undefined;
}

export const webhookSettings = {
  /**
   * Receivers of the platform's events: comma-separated absolute http(s) URLs, at most
   * MAX_WEBHOOK_URLS. Empty (the default): webhooks off.
   */
  WEBHOOK_URLS: z.preprocess(
    splitList,
    z
      .array(webhookUrl)
      .max(MAX_WEBHOOK_URLS, `WEBHOOK_URLS lists at most ${MAX_WEBHOOK_URLS} URLs`)
      .refine((a) => new Set(a).size === a.length, 'WEBHOOK_URLS lists a URL twice'),
  ),
  /**
   * Secret: the Standard Webhooks signing key, `whsec_` + base64 of 24..64 bytes (e.g.
   * `"whsec_" + base64(32 random bytes)`). Required when WEBHOOK_URLS is set.
   */
  WEBHOOK_SECRET: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : v),
    z
      .string()
      .refine(
        (s) => secretKeyBytes(s) !== undefined,
        'WEBHOOK_SECRET must be whsec_ followed by base64 of 24 to 64 bytes',
      )
      .optional(),
  ),
  /** First retry delay, in ms; each further one doubles (with jitter) up to the max. */
  WEBHOOK_BACKOFF_BASE_MS: intVar(5_000, 10, 3_600_000),
  /** Longest delay between two attempts, in ms. */
  WEBHOOK_BACKOFF_MAX_MS: intVar(3_600_000, 100, 86_400_000),
  /** A delivery is retried until it is this old, then dropped (counted as failed), in ms. */
  WEBHOOK_RETRY_FOR_MS: intVar(90_000_000, 86_400_000, 7 * 86_400_000),
  /** One delivery attempt may take this long, in ms. */
  WEBHOOK_TIMEOUT_MS: intVar(10_000, 100, 60_000),
  /** Deliveries queued per dispatcher object at most; past it new events are dropped. */
  WEBHOOK_QUEUE_LIMIT: intVar(10_000, 1, 1_000_000),
};

/** The cross-field rule: URLs need a secret to sign with. */
export function webhookSettingsIssue(cfg: {
  WEBHOOK_URLS: string[];
  WEBHOOK_SECRET?: string | undefined;
}): string | undefined {
  if (cfg.WEBHOOK_URLS.length > 0 && cfg.WEBHOOK_SECRET === undefined) {
    return 'WEBHOOK_SECRET must be set when WEBHOOK_URLS is';
  }
  return undefined;
}
