/**
 * The edge's typed configuration: every limit and timing in one place, each with a unit and a
 * default, validated once per environment object with an exact message on a bad value.
 */
import { z } from 'zod';
import { HEARTBEAT_TIMEOUT_MS, MAX_BODY_BYTES, MAX_ICE_CANDIDATES } from '../../shared/limits.ts';

/** `[vars]` arrive as strings; an unset or empty one takes the default. */
function intVar(def: number, min: number, max: number) {
  return z.preprocess(
    (v) => (v === undefined || v === '' ? def : Number(v)),
    z.number().int().min(min).max(max),
  );
}

const iceServerSchema = z.object({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

const configSchema = z.object({
  /** Session shards (SessionShard objects). Changing it moves sessions: only with none open. */
  SHARD_COUNT: intVar(32, 1, 1024),
  /** ICE candidates a client may trickle per session. */
  MAX_ICE_CANDIDATES: intVar(MAX_ICE_CANDIDATES, 1, 1000),
  /** Largest request body read, in bytes. */
  MAX_BODY_BYTES: intVar(MAX_BODY_BYTES, 1024, 1024 * 1024),
  /** How long the edge waits for a media node, in ms (offers may take ~1 s on a loaded node). */
  NODE_TIMEOUT_MS: intVar(5_000, 50, 60_000),
  /** A session that is not `connected` this long after creation is reaped, in ms. */
  CONNECT_TIMEOUT_MS: intVar(60_000, 1_000, 3_600_000),
  /** A connected session with no client or node activity this long is reaped, in ms. */
  SESSION_IDLE_TIMEOUT_MS: intVar(1_800_000, 10_000, 86_400_000),
  /** Ended sessions (and their events) stay readable this long, in ms. */
  SESSION_RETENTION_MS: intVar(3_600_000, 1_000, 7 * 86_400_000),
  /** A node silent this long is lost, in ms. */
  HEARTBEAT_TIMEOUT_MS: intVar(HEARTBEAT_TIMEOUT_MS, 1_000, 600_000),
  /** STUN/TURN servers handed to clients with each session (JSON array of RTCIceServer). */
  ICE_SERVERS: z.preprocess(
    (v) => (v === undefined || v === '' ? [] : typeof v === 'string' ? JSON.parse(v) : v),
    z.array(iceServerSchema).max(16),
  ),
  /** HS256 key of client tokens (secret). */
  JWT_SECRET: z.string().min(16, 'JWT_SECRET must be set (at least 16 characters)'),
  /** HMAC key shared with the media nodes (secret). */
  NODE_SHARED_SECRET: z.string().min(16, 'NODE_SHARED_SECRET must be set (at least 16 characters)'),
});

export type EdgeConfig = z.infer<typeof configSchema>;

const cache = new WeakMap<object, EdgeConfig>();

/**
 * Reads and validates the configuration from the Worker's env; throws an `Error` naming the
 * first bad field (a deployment mistake, so a 500 with a log line, never a client error).
 */
export function loadConfig(env: object): EdgeConfig {
  const hit = cache.get(env);
  if (hit) return hit;
  let parsed: ReturnType<typeof configSchema.safeParse>;
  try {
    parsed = configSchema.safeParse(env);
  } catch (err) {
    throw new Error(`invalid edge configuration: ${(err as Error).message}`);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid edge configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}
