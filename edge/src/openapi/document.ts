/**
 * The OpenAPI 3.1 description of the public API. Request bodies and queries are generated from
 * the zod schemas the routes parse with, so the document cannot drift from validation; response
 * shapes follow the interfaces in shared/api.ts.
 */

import { z } from 'zod';
import {
  answerSchema,
  candidatesSchema,
  createSessionSchema,
  END_REASONS,
  listSessionsQuerySchema,
  offerSchema,
  SESSION_STATES,
  subscriptionChangeSchema,
  subscriptionViewSchema,
} from '../../../shared/api.ts';
import { ERROR_STATUS } from '../../../shared/errors.ts';
import { ingestPaths } from './ingest-paths.ts';
import { responses, schemaRef } from './responses.ts';

type Json = Record<string, unknown>;

function body(schema: z.ZodType): Json {
  return {
    required: true,
    content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } },
  };
}

const sessionId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const bearer = [{ bearer: [] }];

function queryParams(schema: z.ZodObject): Json[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, Json> };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    schema: s,
  }));
}

let cached: Json | undefined;

export function openApiDocument(): Json {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'media edge API',
      version: '1.0.0',
      description:
        'WebRTC signaling: sessions placed on media nodes, offers/answers, trickle ICE, events. ' +
        'Errors are `{error:{code,message,...}}`.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        SessionState: { type: 'string', enum: [...SESSION_STATES] },
        EndReason: { type: 'string', enum: [...END_REASONS] },
        NodeRef: {
          type: 'object',
          required: ['id', 'region'],
          properties: { id: { type: 'string' }, region: { type: 'string' } },
        },
        SessionNodeRef: {
          type: 'object',
          required: ['id', 'region', 'distanceKm'],
          properties: {
            id: { type: 'string' },
            region: { type: 'string', description: "The node's REGION setting." },
            distanceKm: {
              type: ['number', 'null'],
              description:
                "Great-circle km from the client's location (Cloudflare's, city-level) to the node at creation; null when either location was unknown.",
            },
          },
        },
        Track: {
          type: 'object',
          required: ['trackId', 'kind'],
          properties: { trackId: { type: 'string' }, kind: { enum: ['audio', 'video'] } },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
                message: { type: 'string' },
                field: { type: 'string' },
                limit: { type: 'integer' },
              },
              additionalProperties: true,
            },
          },
        },
        ...responses.schemas,
      },
    },
    security: bearer,
    paths: {
      '/healthz': {
        get: { summary: 'Liveness', security: [], responses: { 200: { description: 'alive' } } },
      },
      '/api/media/sessions': {
        post: {
          summary:
            "Create a session (a new room goes to the node nearest its first participant, by the client's Cloudflare location; a whole room stays on one node)",
          parameters: [
            { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } },
            {
              name: 'x-client-location',
              in: 'header',
              description:
                '`<latitude>,<longitude>` in decimal degrees, used instead of the Cloudflare location only when the edge runs with TRUST_LOCATION_HEADER (local stacks and tests); ignored otherwise.',
              schema: { type: 'string' },
            },
          ],
          requestBody: body(createSessionSchema),
          responses: responses.for(
            201,
            'CreateSessionResponse',
            [400, 401, 403, 409, 413, 429, 503],
          ),
        },
        get: {
          summary: "List the caller's sessions (admin: all, filter by device)",
          parameters: queryParams(listSessionsQuerySchema),
          responses: responses.for(200, 'ListSessionsResponse', [400, 401, 403]),
        },
      },
      '/api/media/sessions/{id}': {
        parameters: [sessionId],
        get: {
          summary: 'Read a session',
          responses: responses.for(200, 'SessionView', [401, 403, 404]),
        },
        delete: {
          summary: 'Close a session',
          responses: responses.for(204, null, [401, 403, 404, 503]),
        },
      },
      '/api/media/sessions/{id}/offer': {
        parameters: [sessionId],
        post: {
          summary: "Send the client's offer; returns the media node's answer",
          requestBody: body(offerSchema),
          responses: responses.for(200, 'AnswerResponse', [400, 401, 403, 404, 409, 413, 503]),
        },
      },
      '/api/media/sessions/{id}/answer': {
        parameters: [sessionId],
        post: {
          summary: 'Answer a server-initiated renegotiation offer',
          requestBody: body(answerSchema),
          responses: responses.for(204, null, [400, 401, 403, 404, 409, 503]),
        },
      },
      '/api/media/sessions/{id}/candidates': {
        parameters: [sessionId],
        post: {
          summary: 'Trickle ICE candidates (at most MAX_ICE_CANDIDATES per session)',
          requestBody: body(candidatesSchema),
          responses: responses.for(204, null, [400, 401, 403, 404, 409, 429, 503]),
        },
      },
      '/api/media/sessions/{id}/subscriptions/{trackId}': {
        parameters: [
          sessionId,
          { name: 'trackId', in: 'path', required: true, schema: { type: 'string' } },
        ],
        put: {
          summary:
            'Cap (`maxLayer`: q, h or f of a simulcast track) or pause what this session receives ' +
            'of one track; applied by the media node within 1 s (a new layer starts on its next ' +
            'keyframe). 404 `track_not_found` for a track the session does not receive.',
          requestBody: body(subscriptionChangeSchema),
          responses: {
            200: {
              description: 'the subscription as applied',
              content: {
                'application/json': { schema: z.toJSONSchema(subscriptionViewSchema) },
              },
            },
            ...responses.errors([400, 401, 403, 404, 409, 503]),
          },
        },
      },
      '/api/media/sessions/{id}/events': {
        parameters: [
          sessionId,
          { name: 'since', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'access_token', in: 'query', schema: { type: 'string' } },
        ],
        get: {
          summary:
            'WebSocket of session events (`state`, `candidate`, `offer`, `participant`, `track`, ' +
            '`speaker`, `layers`, `closed`), numbered by `seq`; ack with {"type":"ack","seq":n}, resume with ?since=n. ' +
            'More than 256 unacknowledged events for over 1 s closes the socket with 4008.',
          responses: {
            101: { description: 'switching protocols' },
            ...responses.errors([400, 401, 403, 404]),
          },
        },
      },
      '/api/media/rooms/{room}': {
        parameters: [{ name: 'room', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          summary: 'Participants of a room and their tracks',
          responses: responses.for(200, 'RoomView', [400, 401, 403, 404, 503]),
        },
      },
      '/api/media/metrics': {
        get: {
          summary: 'Edge counters in Prometheus text format (admin scope)',
          responses: {
            200: {
              description: 'metrics',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...responses.errors([401, 403]),
          },
        },
      },
      '/api/media/nodes': {
        get: {
          summary: 'Media nodes known to the registry: state, last heartbeat, load (admin scope)',
          responses: {
            200: {
              description: 'nodes',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['nodes'],
                    properties: { nodes: { type: 'array', items: { type: 'object' } } },
                  },
                },
              },
            },
            ...responses.errors([401, 403]),
          },
        },
      },
      ...ingestPaths(),
      '/api/media/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { 200: { description: 'OpenAPI' } },
        },
      },
    },
  };
  return cached;
}

export { schemaRef };
