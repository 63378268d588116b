/** Response schemas of the OpenAPI document (the interfaces of shared/api.ts as JSON Schema). */
type Json = Record<string, unknown>;

export function schemaRef(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };

const num = { type: 'number', minimum: 0 };
const numOrNull = { type: ['number', 'null'], minimum: 0 };

/** shared/stats.ts `StreamStats`. */
const streamStats: Json = {
  type: 'object',
  required: ['bitrateBps', 'packets', 'lossRatio', 'jitterMs'],
  properties: {
    bitrateBps: num,
    packets: { type: 'integer', minimum: 0 },
    lossRatio: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    jitterMs: numOrNull,
  },
};

/** shared/stats.ts `SessionStats`: the node's last 1 s interval. */
const sessionStats: Json = {
  type: 'object',
  description:
    "Media quality over the media node's last stats interval (1 s). `in`: what the session " +
    'publishes, as the node receives it; `out`: what it receives, with loss, jitter and RTT ' +
    'from its receiver reports. `estimateBps` is the downlink estimate towards the client ' +
    '(`estimateSource`: `twcc`, `remb` or `loss`), null while it receives nothing; `layer` ' +
    'stays null until simulcast provides it.',
  required: [
    'at',
    'intervalMs',
    'inbound',
    'outbound',
    'rttMs',
    'estimateBps',
    'estimateSource',
    'tracks',
  ],
  properties: {
    at: time,
    intervalMs: { type: 'integer', minimum: 0 },
    inbound: schemaRef('StreamStats'),
    outbound: schemaRef('StreamStats'),
    rttMs: numOrNull,
    estimateBps: numOrNull,
    estimateSource: { type: ['string', 'null'], enum: ['twcc', 'remb', 'loss', null] },
    tracks: {
      type: 'array',
      items: {
        allOf: [
          schemaRef('StreamStats'),
          {
            type: 'object',
            required: ['trackId', 'kind', 'direction', 'rttMs', 'layer'],
            properties: {
              trackId: str,
              kind: { enum: ['audio', 'video'] },
              direction: { enum: ['in', 'out'] },
              rttMs: numOrNull,
              layer: { type: ['string', 'null'] },
            },
          },
        ],
      },
    },
  },
};

const sessionView: Json = {
  type: 'object',
  required: [
    'sessionId',
    'deviceId',
    'room',
    'state',
    'node',
    'iceCandidates',
    'tracks',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    sessionId: str,
    deviceId: str,
    room: str,
    echo: { type: 'boolean' },
    state: schemaRef('SessionState'),
    reason: schemaRef('EndReason'),
    node: { oneOf: [schemaRef('SessionNodeRef'), { type: 'null' }] },
    iceCandidates: { type: 'integer' },
    tracks: { type: 'array', items: schemaRef('Track') },
    metadata: { type: 'object' },
    createdAt: time,
    updatedAt: time,
    expiresAt: time,
    stats: {
      description:
        '`GET /sessions/{id}` only: asked of the media node while the session is negotiating ' +
        'or connected; null otherwise or when the node did not answer within 1 s.',
      oneOf: [schemaRef('SessionStats'), { type: 'null' }],
    },
  },
};

const schemas: Record<string, Json> = {
  SessionView: sessionView,
  SessionStats: sessionStats,
  StreamStats: streamStats,
  CreateSessionResponse: {
    type: 'object',
    required: ['sessionId', 'room', 'state', 'node', 'iceServers', 'expiresAt', 'links'],
    properties: {
      sessionId: str,
      room: str,
      state: schemaRef('SessionState'),
      node: schemaRef('SessionNodeRef'),
      iceServers: { type: 'array', items: { type: 'object' } },
      expiresAt: time,
      links: {
        type: 'object',
        properties: { self: str, offer: str, answer: str, candidates: str, events: str },
      },
    },
  },
  ListSessionsResponse: {
    type: 'object',
    required: ['sessions', 'nextCursor'],
    properties: {
      sessions: { type: 'array', items: schemaRef('SessionView') },
      nextCursor: { type: ['string', 'null'] },
    },
  },
  AnswerResponse: {
    type: 'object',
    required: ['type', 'sdp'],
    properties: { type: { const: 'answer' }, sdp: str },
  },
  RoomView: {
    type: 'object',
    required: ['room', 'node', 'participants', 'activeSpeaker'],
    properties: {
      room: str,
      activeSpeaker: {
        type: ['string', 'null'],
        description: "Session id of the room's active speaker (the `speaker` event's), or null",
      },
      node: { oneOf: [schemaRef('NodeRef'), { type: 'null' }] },
      participants: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            sessionId: str,
            deviceId: str,
            state: schemaRef('SessionState'),
            tracks: { type: 'array', items: schemaRef('Track') },
          },
        },
      },
    },
  },
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'invalid_request (with `field`)',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'session_not_found / room_not_found',
  405: 'method_not_allowed (the `Allow` header lists the methods)',
  409: 'invalid_state / idempotency_conflict',
  412: 'precondition_failed (`If-Match` names another ETag)',
  413: 'payload_too_large',
  415: 'unsupported_media_type (with `expected`)',
  428: 'precondition_required (an ICE restart without `If-Match`)',
  429: 'rate_limited (Retry-After, RateLimit-*; `limit`: the per-device session cap) / too_many_ice_candidates (with `limit`)',
  503: 'no_media_node / media_node_unavailable / capacity_exceeded / draining (Retry-After) / misconfigured',
};

/** Any call can be rate limited, and every route answers 503 misconfigured on a bad deploy. */
const ALWAYS = [429, 503];

function errors(statuses: number[]): Json {
  const out: Json = {};
  for (const s of statuses) {
    out[s] = {
      description: DESCRIPTIONS[s] ?? 'error',
      content: { 'application/json': { schema: schemaRef('Error') } },
    };
  }
  return out;
}

function forStatus(status: number, schema: string | null, errorStatuses: number[]): Json {
  const ok = schema
    ? { description: 'success', content: { 'application/json': { schema: schemaRef(schema) } } }
    : { description: 'success, no body' };
  const all = [...new Set([...errorStatuses, ...ALWAYS])].sort((a, b) => a - b);
  return { [status]: ok, ...errors(all) };
}

export const responses = { schemas, errors, for: forStatus };
