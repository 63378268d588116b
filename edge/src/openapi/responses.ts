/** Response schemas of the OpenAPI document (the interfaces of shared/api.ts as JSON Schema). */
type Json = Record<string, unknown>;

export function schemaRef(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };

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
  },
};

const schemas: Record<string, Json> = {
  SessionView: sessionView,
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
    required: ['room', 'node', 'participants'],
    properties: {
      room: str,
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
  422: 'ice_restart_unsupported',
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
