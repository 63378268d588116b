/** The Worker's bindings (wrangler.toml `[vars]`, secrets, Durable Object namespaces). */
import type { RoomPlacer } from './placement/room-placer.ts';
import type { NodeRegistry } from './registry/node-registry.ts';
import type { SessionShard } from './shard/session-shard.ts';
import type { WebhookDispatcher } from './webhooks/dispatcher.ts';

export interface Env {
  SESSION_SHARD: DurableObjectNamespace<SessionShard>;
  NODE_REGISTRY: DurableObjectNamespace<NodeRegistry>;
  ROOM_PLACER: DurableObjectNamespace<RoomPlacer>;
  WEBHOOK_DISPATCHER: DurableObjectNamespace<WebhookDispatcher>;
  /** Secret: HS256 key of client tokens. */
  JWT_SECRET: string;
  /** Secret: master key the media nodes' keys derive from (shared/signing.ts deriveNodeKey). */
  NODE_SHARED_SECRET: string;
  /** Optional `[vars]`, all strings; defaults and validation in config.ts. */
  SHARD_COUNT?: string;
  MAX_ICE_CANDIDATES?: string;
  ICE_SERVERS?: string;
  NODE_TIMEOUT_MS?: string;
  CONNECT_TIMEOUT_MS?: string;
  SESSION_IDLE_TIMEOUT_MS?: string;
  SESSION_RETENTION_MS?: string;
  HEARTBEAT_TIMEOUT_MS?: string;
  MAX_BODY_BYTES?: string;
  ENVIRONMENT?: string;
  MAX_TOKEN_TTL_S?: string;
  NODE_URL_ALLOW?: string;
  RATE_LIMIT_DEVICE_PER_S?: string;
  RATE_LIMIT_DEVICE_BURST?: string;
  RATE_LIMIT_DEVICE_READ_PER_S?: string;
  RATE_LIMIT_DEVICE_READ_BURST?: string;
  RATE_LIMIT_IP_PER_S?: string;
  RATE_LIMIT_IP_BURST?: string;
  PENDING_OFFER_TIMEOUT_MS?: string;
  MAX_SESSIONS_PER_DEVICE?: string;
  DEVICE_LIST_FANOUT?: string;
  LOG_SAMPLE_RATE?: string;
  LOG_SLOW_MS?: string;
  NODE_DIRECTORY_MAX_AGE_MS?: string;
  PLACEMENT_SLACK_KM?: string;
  TRUST_LOCATION_HEADER?: string;
  /** TURN (turn/settings.ts): comma-separated urls, lifetime in s; TURN_SECRET is a secret. */
  TURN_URLS?: string;
  TURN_SECRET?: string;
  TURN_TTL_S?: string;
  /** Webhooks (webhooks/settings.ts); WEBHOOK_SECRET is a secret. */
  WEBHOOK_URLS?: string;
  WEBHOOK_SECRET?: string;
  WEBHOOK_BACKOFF_BASE_MS?: string;
  WEBHOOK_BACKOFF_MAX_MS?: string;
  WEBHOOK_RETRY_FOR_MS?: string;
  WEBHOOK_TIMEOUT_MS?: string;
  WEBHOOK_QUEUE_LIMIT?: string;
}
