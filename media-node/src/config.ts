/**
 * The media node's configuration: environment variables only, validated once at start-up.
 * Every limit is one field with its unit in the name; a bad value stops the process with a
 * message naming the variable, the expected unit and the value received.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { type IceServer, nameSchema } from '../../shared/api.ts';
import { DEVELOPMENT_SECRETS, isDevelopmentSecret } from '../../shared/dev-secrets.ts';
import {
  DRAIN_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  MAX_BODY_BYTES,
  MAX_ICE_CANDIDATES,
} from '../../shared/limits.ts';
import { hasIceServer } from './rtc/peer-config.ts';

export interface Config {
  /** TCP port of the internal API and /metrics; 0 picks a free port (tests). */
  port: number;
  /** Bind address of the HTTP server. */
  host: string;
  nodeId: string;
  /** Region name reported to the edge (`REGION`, e.g. `eu-west`); placement prefers it. */
  region: string;
  /**
   * Where the node is, in degrees (`LATITUDE`, `LONGITUDE`, both or neither): the edge sends
   * each room to the node nearest its first participant. Undefined: placed by load only.
   */
  location: { latitude: number; longitude: number } | undefined;
  /** Base URL the edge uses to reach this node; `undefined` until the port is known when port=0. */
  publicUrl: string | undefined;
  /** Edge base URL for heartbeats and events; `undefined` runs standalone. */
  edgeUrl: string | undefined;
  /**
   * This node's own HMAC key (`NODE_KEY`, or derived from `NODE_SHARED_SECRET` and the node id
   * exactly as the edge derives it: shared/signing.ts `deriveNodeKey`).
   */
  nodeKey: string;
  /**
   * Why this node must not serve (a committed development secret outside local development),
   * or undefined. The node then starts, logs it once, fails `/readyz`, refuses signed calls and
   * never registers with the edge.
   */
  insecure: string | undefined;
  ice: {
    lite: boolean;
    /** The one host address advertised in candidates (and bound). */
    address: string;
    servers: IceServer[];
    portRange: [number, number] | undefined;
    /** The one TCP port of passive ICE-TCP candidates (RFC 6544); undefined: UDP only. */
    tcpPort: number | undefined;
  };
  maxSessions: number;
  /** Remote ICE candidates accepted per session. */
  maxIceCandidates: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /**
   * ICE grace, in ms: a connected session whose peer sent nothing (no ICE consent check, no
   * media) is ICE-`disconnected`; it is kept this long from the peer's last datagram, so that an
   * ICE restart (the client changed networks) finds its session, and then fails with
   * `ice_failed` (tab closed, network gone). Live browsers send consent checks every ~5 s
   * (RFC 7675); the SDK restarts after 2 s of `disconnected` and gives up after 10 s more, so the
   * default (15 s) outlasts its whole restart window.
   */
  iceGraceMs: number;
  maxBodyBytes: number;
  drainTimeoutMs: number;
  heartbeatIntervalMs: number;
  /**
   * Forwarding path: `fast` (native SRTP + synchronous forwarder, stock per subscriber where its
   * preconditions fail) or `stock` (werift's `sendRtp` for everyone).
   */
  forwarder: 'fast' | 'stock';
  /** New sessions are refused while event-loop lag p99 exceeds this, in ms; 0 disables. */
  overloadLagMs: number;
  /**
   * New sessions are refused while event-loop utilization (busy fraction, 0..1) exceeds this;
   * 0 disables (rtc/load-guard.ts).
   */
  overloadUtilization: number;
  /**
   * Fast-path UDP sends: `batch` (native sendmmsg per socket), `sendmsg` (native, one call per
   * datagram) or `dgram` (Node's socket.send); flushed per incoming `packet` or per event-loop
   * `tick`. Without the native addon the fast path uses `dgram` and says so.
   */
  fastSend: { mode: 'batch' | 'sendmsg' | 'dgram'; flush: 'packet' | 'tick' };
  /**
   * Forwarding worker threads: rooms are pinned to one worker each (mediasoup's model), so a
   * node uses every core. 0 runs every session on the main thread (no worker threads).
   */
  workers: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Thrown for an invalid environment; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Upper bound of `WORKERS` (the heartbeat schema carries at most 256 worker loads). */
const MAX_WORKERS = 256;

const DEV_VARS_FILE = new URL('../../.dev.vars', import.meta.url);

function int(name: string, unit: string, min: number, max: number, fallback: number) {
  const expected = `${name} must be an integer number of ${unit} between ${min} and ${max}`;
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `${expected}, got ${JSON.stringify(raw)}` });
        return z.NEVER;
      }
      return value;
    });
}

function bool(name: string, fallback: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback;
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be true or false, got ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    });
}

function ip(name: string, fallback: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw?.trim() || fallback;
      if (isIP(value) === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an IPv4 or IPv6 address, got ${JSON.stringify(raw)}`,
        });
        return z.NEVER;
      }
      return value;
    });
}

function url(name: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      if (!z.url({ protocol: /^https?$/ }).safeParse(raw).success) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an http(s) URL, got ${JSON.stringify(raw)}`,
        });
        return z.NEVER;
      }
      return raw.replace(/\/+$/, '');
    });
}

/** A coordinate in decimal degrees within [-limit, limit] (`48.85`, `-33.87`); unset: undefined. */
function degrees(name: string, limit: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const value = /^[-+]?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value) || Math.abs(value) > limit) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be decimal degrees between -${limit} and ${limit}, got ${JSON.stringify(raw)}`,
        });
        return z.NEVER;
      }
      return value;
    });
}

const iceServerSchema = z.object({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

const iceServersVar = z
  .string()
  .optional()
  .transform((raw, ctx): IceServer[] => {
    if (raw === undefined || raw.trim() === '') return [];
    const expected = 'ICE_SERVERS must be a JSON array of {urls, username?, credential?}';
    try {
      const parsed = z.array(iceServerSchema).safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: `${expected}, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  });

const envSchema = z.object({
  PORT: int('PORT', 'TCP port (0 = any free port)', 0, 65_535, 30_006),
  HOST: ip('HOST', '127.0.0.1'),
  NODE_ID: z.string().optional(),
  REGION: z.string().optional(),
  LATITUDE: degrees('LATITUDE', 90),
  LONGITUDE: degrees('LONGITUDE', 180),
  PUBLIC_URL: url('PUBLIC_URL'),
  EDGE_URL: url('EDGE_URL'),
  NODE_SHARED_SECRET: z.string().optional(),
  NODE_KEY: z.string().optional(),
  NODE_ENV: z.string().optional(),
  ICE_ADDRESS: ip('ICE_ADDRESS', '127.0.0.1'),
  ICE_LITE: bool('ICE_LITE', true),
  ICE_SERVERS: iceServersVar,
  ICE_PORT_MIN: int('ICE_PORT_MIN', 'UDP port', 1, 65_535, 0),
  ICE_PORT_MAX: int('ICE_PORT_MAX', 'UDP port', 1, 65_535, 0),
  ICE_TCP_PORT: int('ICE_TCP_PORT', 'TCP port (0 = off)', 0, 65_535, 0),
  MAX_SESSIONS: int('MAX_SESSIONS', 'sessions', 1, 100_000, 500),
  MAX_ICE_CANDIDATES: int('MAX_ICE_CANDIDATES', 'candidates', 1, 1_000, MAX_ICE_CANDIDATES),
  CONNECT_TIMEOUT_MS: int('CONNECT_TIMEOUT_MS', 'milliseconds', 100, 600_000, 15_000),
  IDLE_TIMEOUT_MS: int('IDLE_TIMEOUT_MS', 'milliseconds', 100, 86_400_000, 60_000),
  ICE_GRACE_MS: int('ICE_GRACE_MS', 'milliseconds', 1_000, 600_000, 15_000),
  /** Renamed ICE_GRACE_MS: refused, so an old setting is not silently ignored. */
  PEER_TIMEOUT_MS: z.string().optional(),
  MAX_BODY_BYTES: int('MAX_BODY_BYTES', 'bytes', 1_024, 16 * 1024 * 1024, MAX_BODY_BYTES),
  DRAIN_TIMEOUT_MS: int('DRAIN_TIMEOUT_MS', 'milliseconds', 0, 3_600_000, DRAIN_TIMEOUT_MS),
  HEARTBEAT_INTERVAL_MS: int(
    'HEARTBEAT_INTERVAL_MS',
    'milliseconds',
    100,
    60_000,
    HEARTBEAT_INTERVAL_MS,
  ),
  FORWARDER: z
    .enum(['fast', 'stock'], { error: 'FORWARDER must be "fast" or "stock"' })
    .default('fast'),
  OVERLOAD_LAG_MS: int('OVERLOAD_LAG_MS', 'milliseconds (0 = off)', 0, 60_000, 400),
  OVERLOAD_UTILIZATION_PCT: int('OVERLOAD_UTILIZATION_PCT', 'percent (0 = off)', 0, 100, 85),
  FAST_SEND: z
    .enum(['batch', 'sendmsg', 'dgram'], { error: 'FAST_SEND must be batch, sendmsg or dgram' })
    .default('batch'),
  FAST_SEND_FLUSH: z
    .enum(['packet', 'tick'], { error: 'FAST_SEND_FLUSH must be packet or tick' })
    .default('packet'),
  WORKERS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw?.trim() ?? '';
      if (value === '' || value === 'auto') return availableParallelism();
      if (/^\d+$/.test(value) && Number(value) <= MAX_WORKERS) return Number(value);
      ctx.addIssue({
        code: 'custom',
        message: `WORKERS must be "auto" (one per core) or an integer number of worker threads between 0 and ${MAX_WORKERS}, got ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    }),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .optional(),
});

/** The development secret from `.dev.vars`, or undefined when the file or the line is missing. */
function devSecret(): string | undefined {
  try {
    const line = readFileSync(DEV_VARS_FILE, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('NODE_SHARED_SECRET='));
    return line?.slice('NODE_SHARED_SECRET='.length).trim() || undefined;
  } catch {
    return undefined;
  }
}

const INSECURE_FIX =
  'give this node its own NODE_KEY (npm run -s node-key -- <node id>, with the real master secret), or set NODE_ENV=development on a development machine';

/** HMAC-SHA256(master, `node:<nodeId>`) in hex: the same value as `deriveNodeKey` (WebCrypto). */
export function nodeKeyFrom(master: string, nodeId: string): string {
  return createHmac('sha256', master).update(`node:${nodeId}`).digest('hex');
}

/** Why `key` (and the master it came from) must not be used outside local development. */
function insecureKey(master: string | undefined, key: string, nodeId: string): string | undefined {
  if (master !== undefined && isDevelopmentSecret(master)) {
    return 'NODE_SHARED_SECRET is a committed development value';
  }
  if (isDevelopmentSecret(key) || DEVELOPMENT_SECRETS.some((s) => nodeKeyFrom(s, nodeId) === key)) {
    return 'NODE_KEY is a committed development value (or derived from one)';
  }
  return undefined;
}

/**
 * Parses `env`; throws {@link ConfigError} listing every invalid variable.
 *
 * Local development is `NODE_ENV=development` or `test` (`npm start`, `npm run media-node` and
 * the tests set it): only then is the `.dev.vars` secret a default, and only then are committed
 * development secrets accepted. Anything else, NODE_ENV unset included, is treated as production.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => i.message).join('\n'));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const local = e.NODE_ENV === 'development' || e.NODE_ENV === 'test';
  const nodeId = e.NODE_ID ?? `node-${e.PORT}`;
  const master = e.NODE_SHARED_SECRET || (local && !e.NODE_KEY ? devSecret() : undefined);
  const nodeKey = e.NODE_KEY || (master ? nodeKeyFrom(master, nodeId) : undefined);
  if (!nodeKey) {
    problems.push(
      local
        ? 'NODE_KEY or NODE_SHARED_SECRET is required (no .dev.vars default found)'
        : 'NODE_KEY (or NODE_SHARED_SECRET) is required outside local development (NODE_ENV=development)',
    );
  } else if ((e.NODE_KEY ?? master ?? '').length < 16) {
    problems.push(
      `${e.NODE_KEY ? 'NODE_KEY' : 'NODE_SHARED_SECRET'} must be at least 16 characters`,
    );
  }
  if (!nameSchema.safeParse(nodeId).success) {
    problems.push(
      `NODE_ID must be 1-64 characters of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(nodeId)}`,
    );
  }
  const region = e.REGION ?? 'local';
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(region)) {
    problems.push(
      `REGION must be 1-32 characters of A-Z a-z 0-9 _ . - (e.g. eu-west), got ${JSON.stringify(region)}`,
    );
  }
  if ((e.LATITUDE === undefined) !== (e.LONGITUDE === undefined)) {
    problems.push(
      'LATITUDE and LONGITUDE (decimal degrees) must be set together, or neither (placement by load only)',
    );
  }
  const location =
    e.LATITUDE !== undefined && e.LONGITUDE !== undefined
      ? { latitude: e.LATITUDE, longitude: e.LONGITUDE }
      : undefined;
  let portRange: [number, number] | undefined;
  if (e.ICE_PORT_MIN || e.ICE_PORT_MAX) {
    if (!e.ICE_PORT_MIN || !e.ICE_PORT_MAX || e.ICE_PORT_MIN >= e.ICE_PORT_MAX) {
      problems.push(
        'ICE_PORT_MIN and ICE_PORT_MAX (UDP ports) must be set together with MIN < MAX',
      );
    } else {
      portRange = [e.ICE_PORT_MIN, e.ICE_PORT_MAX];
    }
  }
  if (!e.ICE_LITE && !hasIceServer(e.ICE_SERVERS)) {
    problems.push(
      'ICE_SERVERS must name a stun:/turn: url when ICE_LITE=false (werift would use a public STUN server otherwise)',
    );
  }
  if (e.ICE_TCP_PORT && e.WORKERS > 0) {
    // A TCP connection cannot move to the worker thread that owns its session (ice-tcp-mux.ts).
    problems.push(
      `ICE_TCP_PORT needs WORKERS=0 (sessions on the main thread), got WORKERS=${e.WORKERS}`,
    );
  }
  if (e.PEER_TIMEOUT_MS !== undefined) {
    problems.push('PEER_TIMEOUT_MS was renamed ICE_GRACE_MS (milliseconds, default 15000)');
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const insecure = local ? undefined : insecureKey(master, nodeKey as string, nodeId);
  const reachableHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  const hostInUrl = reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost;
  return {
    port: e.PORT,
    host: e.HOST,
    nodeId,
    region,
    location,
    publicUrl: e.PUBLIC_URL ?? (e.PORT === 0 ? undefined : `http://${hostInUrl}:${e.PORT}`),
    edgeUrl: e.EDGE_URL,
    nodeKey: nodeKey as string,
    insecure: insecure && `${insecure} while NODE_ENV=${e.NODE_ENV ?? '(unset)'}: ${INSECURE_FIX}`,
    ice: {
      lite: e.ICE_LITE,
      address: e.ICE_ADDRESS,
      servers: e.ICE_SERVERS,
      portRange,
      tcpPort: e.ICE_TCP_PORT || undefined,
    },
    maxSessions: e.MAX_SESSIONS,
    maxIceCandidates: e.MAX_ICE_CANDIDATES,
    connectTimeoutMs: e.CONNECT_TIMEOUT_MS,
    idleTimeoutMs: e.IDLE_TIMEOUT_MS,
    iceGraceMs: e.ICE_GRACE_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    forwarder: e.FORWARDER,
    overloadLagMs: e.OVERLOAD_LAG_MS,
    overloadUtilization: e.OVERLOAD_UTILIZATION_PCT / 100,
    fastSend: { mode: e.FAST_SEND, flush: e.FAST_SEND_FLUSH },
    workers: e.WORKERS,
    logLevel: e.LOG_LEVEL ?? 'info',
  };
}
