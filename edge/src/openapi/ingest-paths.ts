/** The WHIP (RFC 9725) and WHEP paths of the OpenAPI document (routes-whip.ts). */
import { responses } from './responses.ts';

type Json = Record<string, unknown>;

const sdpBody = (summary: string): Json => ({
  required: true,
  description: summary,
  content: { 'application/sdp': { schema: { type: 'string' } } },
});

const created: Json = {
  description:
    'the SDP answer; `Location` is the session resource, `ETag` its ICE session, one `Link: ' +
    '<url>; rel="ice-server"` per ICE server URL (TURN with username, credential and ' +
    'credential-type="password")',
  headers: {
    Location: { schema: { type: 'string' } },
    ETag: { schema: { type: 'string' } },
    Link: { schema: { type: 'string' } },
  },
  content: { 'application/sdp': { schema: { type: 'string' } } },
};

const preflight: Json = {
  summary: 'CORS preflight and what the URL takes (`Allow`, `Accept-Post` / `Accept-Patch`)',
  security: [],
  responses: { 204: { description: 'no body' } },
};

function endpoint(summary: string, extra: Json[] = []): Json {
  return {
    parameters: [
      { name: 'room', in: 'path', required: true, schema: { type: 'string' } },
      ...extra,
    ],
    post: {
      summary,
      requestBody: sdpBody('the client offer'),
      responses: {
        201: created,
        ...responses.errors([400, 401, 403, 405, 409, 413, 415, 429, 503]),
      },
    },
    options: preflight,
  };
}

function resource(protocol: string): Json {
  return {
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
    patch: {
      summary:
        `Trickle ICE for a ${protocol.toUpperCase()} session (the session's candidate cap holds), ` +
        'or an ICE restart (new `ice-ufrag`/`ice-pwd`; `If-Match` with the ETag or `*` required): ' +
        "200 with the server's new credentials as an sdpfrag and a new ETag",
      parameters: [{ name: 'If-Match', in: 'header', schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: { 'application/trickle-ice-sdpfrag': { schema: { type: 'string' } } },
      },
      responses: {
        200: {
          description: 'ICE restarted: the new ETag, and the server credentials and candidates',
          headers: { ETag: { schema: { type: 'string' } } },
          content: { 'application/trickle-ice-sdpfrag': { schema: { type: 'string' } } },
        },
        204: { description: 'candidates applied' },
        ...responses.errors([400, 401, 403, 404, 405, 409, 412, 415, 428, 429, 503]),
      },
    },
    delete: {
      summary: `End the ${protocol.toUpperCase()} session`,
      responses: { 200: { description: 'ended' }, ...responses.errors([401, 403, 404, 503]) },
    },
    options: preflight,
  };
}

export function ingestPaths(): Record<string, Json> {
  const participant = {
    name: 'participant',
    in: 'path',
    required: true,
    description: "a participant's session id or device id",
    schema: { type: 'string' },
  };
  return {
    '/api/media/whip/{room}': endpoint(
      'WHIP: publish into a room (an ordinary session that publishes and receives nothing)',
    ),
    '/api/media/whip/sessions/{id}': resource('whip'),
    '/api/media/whep/{room}': endpoint(
      "WHEP: watch a room: the offer's recvonly m-lines get the room's current tracks (a free " +
        'one takes the next track published; no renegotiation)',
    ),
    '/api/media/whep/{room}/{participant}': endpoint("WHEP: watch one participant's tracks", [
      participant,
    ]),
    '/api/media/whep/sessions/{id}': resource('whep'),
  };
}
