/**
 * The edge's typed configuration: every limit and timing in one place, each with a unit and a
 * default, validated once per environment object with an exact message on a bad value.
 */
import { z } from 'zod';
import { isDevelopmentSecret } from '../../shared/dev-secrets.ts';
import { HEARTBEAT_TIMEOUT_MS, MAX_BODY_BYTES, MAX_ICE_CANDIDATES } from '../../shared/limits.ts';
import { DEFAULT_MAX_TOKEN_TTL_S } from './auth/token.ts';
import { DEFAULT_NODE_URL_ALLOW, parseUrlPatterns } from './registry/node-url.ts';
import { webhookSettings, webhookSettingsIssue } from './webhooks/settings.ts';

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

const configSchema = z
  .object({
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
    /** Sessions a device may have open at once (checked on the device's shard at create). */
    MAX_SESSIONS_PER_DEVICE: intVar(20, 1, 10_000),
    /**
     * "1": a device's own listing reads every shard, as before session ids were colocated with
     * their device. Only for the upgrade window, while sessions created before it are still open.
     */
    DEVICE_LIST_FANOUT: z.preprocess((v) => v === '1' || v === 'true', z.boolean()),
    /** Successful requests logged, as a fraction (0..1); errors and slow requests always are. */
    LOG_SAMPLE_RATE: z.preprocess(
      (v) => (v === undefined || v === '' ? 0.01 : Number(v)),
      z.number().min(0).max(1),
    ),
    /** A request slower than this is always logged, in ms. */
    LOG_SLOW_MS: intVar(1_000, 0, 600_000),
    /** A node silent this long is lost, in ms. */
    HEARTBEAT_TIMEOUT_MS: intVar(HEARTBEAT_TIMEOUT_MS, 1_000, 600_000),
    /**
     * `development` (set by `.dev.vars`, which only the local stack and `wrangler dev` read)
     * allows the committed development secrets; anything else, unset included, refuses them.
     */
    ENVIRONMENT: z.preprocess((v) => (v === undefined || v === '' ? 'production' : v), z.string()),
    /** Longest client-token lifetime accepted (`exp - iat`), in seconds. */
    MAX_TOKEN_TTL_S: intVar(DEFAULT_MAX_TOKEN_TTL_S, 60, 366 * 86_400),
    /**
     * Where node URLs may point: comma-separated `scheme://host[:port]` patterns, `*` standing
     * for one host label or a port. A heartbeat naming another URL is refused (403), so a node
     * key cannot make the edge call arbitrary addresses. Default: loopback only.
     */
    NODE_URL_ALLOW: z.preprocess(
      (v) => parseUrlPatterns(v === undefined || v === '' ? DEFAULT_NODE_URL_ALLOW : String(v)),
      z.array(z.instanceof(RegExp)).min(1, 'NODE_URL_ALLOW must list at least one pattern'),
    ),
    /**
     * Calls that change state (POST, PUT, PATCH, DELETE) one device may make per second,
     * sustained (token bucket per isolate): creates, offers, candidates and closes.
     */
    RATE_LIMIT_DEVICE_PER_S: intVar(20, 1, 100_000),
    /** Such calls one device may make at once above the sustained rate (bucket size). */
    RATE_LIMIT_DEVICE_BURST: intVar(100, 1, 1_000_000),
    /**
     * Reads (GET, HEAD: views, listings, event-socket upgrades) one device may make per second,
     * a bucket of their own: a read writes nothing and costs a shard a fraction of a write, and a
     * client polling its views must not use up the budget its next offer needs.
     */
    RATE_LIMIT_DEVICE_READ_PER_S: intVar(200, 1, 1_000_000),
    /** Bucket size of the per-device read limit. */
    RATE_LIMIT_DEVICE_READ_BURST: intVar(400, 1, 10_000_000),
    /** Unauthenticated or refused calls per second from one address (CF-Connecting-IP). */
    RATE_LIMIT_IP_PER_S: intVar(5, 1, 100_000),
    /** Bucket size of the per-address limit. */
    RATE_LIMIT_IP_BURST: intVar(20, 1, 1_000_000),
    /**
     * A placed session reserves a slot of its node's capacity until the node's next heartbeat
     * counts it (every 3 s), or until this long has passed, in ms: a client offers well within
     * it, and sessions that never offer (a create flood) stop holding capacity for everyone.
     */
    PENDING_OFFER_TIMEOUT_MS: intVar(2_000, 100, 600_000),
    /**
     * Longest a room placer uses its copy of the node directory before pulling it again from the
     * registry, in ms. It bounds how late placement sees a change: a node that starts draining (or
     * reports new load) gets no new room after at most this long. Smaller: fresher, more registry
     * calls (each placer pulls at most once per this period while it places).
     */
    NODE_DIRECTORY_MAX_AGE_MS: intVar(2_000, 100, 60_000),
    /**
     * Nodes within this many km of the nearest eligible one count as equally near: among them
     * the least loaded wins, so load spreads over a metro's nodes instead of filling the closest.
     */
    PLACEMENT_SLACK_KM: intVar(300, 0, 20_000),
    /**
     * "1" (development and tests only): take the client's location from the `x-client-location:
     * <lat>,<lon>` header instead of Cloudflare's `request.cf`. Off by default: any client can
     * write that header, so trusting it in production lets clients choose their node.
     */
    TRUST_LOCATION_HEADER: z.preprocess((v) => v === '1' || v === 'true', z.boolean()),
    /** STUN/TURN servers handed to clients with each session (JSON array of RTCIceServer). */
    ICE_SERVERS: z.preprocess(
      (v) => (v === undefined || v === '' ? [] : typeof v === 'string' ? JSON.parse(v) : v),
      z.array(iceServerSchema).max(16),
    ),
    /** HS256 key of client tokens (secret). */
    JWT_SECRET: z.string().min(16, 'JWT_SECRET must be set (at least 16 characters)'),
    /** Master key the media nodes' keys derive from (secret; shared/signing.ts deriveNodeKey). */
    NODE_SHARED_SECRET: z
      .string()
      .min(16, 'NODE_SHARED_SECRET must be set (at least 16 characters)'),
    /** Webhooks (webhooks/settings.ts): WEBHOOK_URLS, WEBHOOK_SECRET and delivery timings. */
    ...webhookSettings,
  })
  .superRefine((cfg, ctx) => {
    const issue = webhookSettingsIssue(cfg);
    if (issue) ctx.addIssue({ code: 'custom', path: ['WEBHOOK_SECRET'], message: issue });
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

/**
 * Why this configuration must not serve, or undefined: outside local development
 * (`ENVIRONMENT=development`, which `.dev.vars` sets), a committed development secret or an
 * example placeholder is public knowledge, so anyone could sign tokens or node requests.
 */
export function insecureSecrets(cfg: EdgeConfig): string | undefined {
  if (cfg.ENVIRONMENT === 'development') return undefined;
  const bad = (['JWT_SECRET', 'NODE_SHARED_SECRET'] as const).filter((k) =>
    isDevelopmentSecret(cfg[k]),
  );
  if (bad.length === 0) return undefined;
  return `${bad.join(' and ')} ${bad.length > 1 ? 'are committed development values' : 'is a committed development value'} while ENVIRONMENT=${cfg.ENVIRONMENT}: set real secrets with \`wrangler secret put\` (or ENVIRONMENT=development on a local stack)`;
}
