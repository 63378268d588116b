/**
 * WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep): `POST /api/media/{whip|whep}/:room` with an
 * `application/sdp` offer creates an ordinary session in the room (same placement, shard, caps,
 * listings, metrics and room events as `POST /sessions`) and answers `201` with the SDP answer,
 * `Location`, `ETag` and `Link` (ICE servers). The session resource takes `PATCH` (trickle ICE
 * or ICE restart, `application/trickle-ice-sdpfrag`) and `DELETE`. A WHIP session publishes only; a WHEP session
 * receives the room's (or one participant's) tracks on the m-lines of its offer.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { API_BASE, nameSchema, sdpSchema } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import type { SessionMode } from '../../../shared/internal.ts';
import { MAX_CANDIDATES_PER_REQUEST } from '../../../shared/limits.ts';
import { assertWebRtcSdp } from '../../../shared/sdp-check.ts';
import { assertFingerprints, assertMediaSections } from '../../../shared/sdp-limits.ts';
import { roomForNewSession } from '../auth/access.ts';
import { unwrap } from '../outcome.ts';
import { FIRST_ICE_GENERATION, ifMatches, sessionEtag } from '../whip/etag.ts';
import { answerFrag } from '../whip/ice-restart.ts';
import { iceServerLinks } from '../whip/link-header.ts';
import { parseSdpFrag, type SdpFrag } from '../whip/sdpfrag.ts';
import type { AppContext, AppEnv } from './context.ts';
import { authenticate, limitBody } from './middleware.ts';
import { parseValue } from './parse.ts';
import { createSession, locationOf } from './routes-sessions.ts';
import { sessionStub } from './session-stub.ts';

export type IngestProtocol = 'whip' | 'whep';

const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';
const ENDPOINT_METHODS = 'POST, OPTIONS';
const RESOURCE_METHODS = 'PATCH, DELETE, OPTIONS';
/** Headers a browser WHIP/WHEP client must be able to read (CORS hides all others). */
const EXPOSED = 'Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After, x-request-id';
const ALLOWED_HEADERS = 'Authorization, Content-Type, If-Match';
/** How long a browser may cache a preflight answer, in s. */
const PREFLIGHT_MAX_AGE_S = 600;

const endpointParams = z.object({ room: nameSchema, participant: nameSchema.optional() });

/**
 * CORS for browser clients: any origin (the token is a Bearer header, never a cookie), the
 * WHIP headers exposed on every answer, errors included.
 */
function ingestCors(): MiddlewareHandler<AppEnv> {
  return async function ingestCors(c, next) {
    await next();
    c.res.headers.set('access-control-allow-origin', '*');
    c.res.headers.set('access-control-expose-headers', EXPOSED);
  };
}

/** `OPTIONS`: a CORS preflight answer and what the resource takes (no token needed). */
function options(allow: string, accept: Record<string, string>) {
  return (c: AppContext) => {
    c.header('allow', allow);
    for (const [name, value] of Object.entries(accept)) c.header(name, value);
    c.header('access-control-allow-methods', allow);
    c.header('access-control-allow-headers', ALLOWED_HEADERS);
    c.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
    return c.body(null, 204);
  };
}

/** 405 with `Allow` (RFC 9110 section 15.5.6). */
function notAllowed(allow: string) {
  return (c: AppContext) => {
    c.header('allow', allow);
    throw new MediaError('method_not_allowed', `${c.req.method} is not allowed here`, {
      allow: allow.split(', '),
    });
  };
}

/** 415 unless the request's media type is `expected` (parameters ignored). */
function requireContentType(c: AppContext, expected: string): void {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== expected) {
    throw new MediaError('unsupported_media_type', `the body must be ${expected}`, {
      expected,
      received: (type ?? '(none)').slice(0, 64),
    });
  }
}

/**
 * The body as UTF-8 text. `c.req.text()` works too but makes workerd warn for every SDP body
 * ("does not appear to be text": it only trusts text/* types).
 */
async function bodyText(c: AppContext): Promise<string> {
  return new TextDecoder().decode(await c.req.arrayBuffer());
}

/** The offer as the JSON flow checks it, so garbage is refused before a session exists. */
function assertOffer(sdp: string): void {
  parseValue(sdpSchema, sdp);
  assertWebRtcSdp(sdp, 'offer');
  assertMediaSections(sdp, 'offer');
  assertFingerprints(sdp, 'offer');
}

/** The URL path of a WHIP/WHEP session resource. */
export function resourcePath(protocol: IngestProtocol, sessionId: string): string {
  return `${API_BASE}/${protocol}/sessions/${encodeURIComponent(sessionId)}`;
}

async function open(c: AppContext, protocol: IngestProtocol, mode: SessionMode) {
  const caller = c.get('caller');
  const { room } = parseValue(endpointParams, c.req.param());
  // 403 for a room the token does not allow before anything about the body (createSession
  // checks again).
  roomForNewSession(caller, room);
  requireContentType(c, SDP);
  const sdp = await bodyText(c);
  assertOffer(sdp);
  const created = await createSession(c, caller, { room, metadata: { protocol } }, locationOf(c));
  const id = created.sessionId;
  const stub = sessionStub(c, id);
  let answer: string;
  try {
    answer = unwrap(await stub.offer(id, caller, sdp, mode)).sdp;
  } catch (error) {
    // Nothing is left behind: a session whose offer failed ends now, not at the reaper.
    await stub.close(id, caller);
    throw error;
  }
  c.header('content-type', SDP);
  c.header('location', resourcePath(protocol, id));
  c.header('etag', await sessionEtag(id, FIRST_ICE_GENERATION));
  for (const link of iceServerLinks(created.iceServers)) c.header('link', link, { append: true });
  return c.body(answer, 201);
}

/**
 * An ICE restart (RFC 9725 section 4.3.2): it must be conditional (428 without `If-Match`; the
 * ETag, or `*`, was checked by the caller), and names both new credentials (400 otherwise). The
 * shard re-offers on the node; the answer's new credentials and candidates go back as an
 * sdpfrag with the new ICE session's ETag.
 */
async function restartIce(
  c: AppContext,
  id: string,
  ifMatch: string | undefined,
  generation: number,
  frag: SdpFrag,
) {
  if (ifMatch === undefined) {
    throw new MediaError('precondition_required', 'an ICE restart needs If-Match (the ETag or *)');
  }
  if (frag.ufrag === undefined || frag.pwd === undefined) {
    throw new MediaError('invalid_request', 'an ICE restart names both ice-ufrag and ice-pwd', {
      field: '(body)',
    });
  }
  const restarted = unwrap(
    await sessionStub(c, id).restartIce(id, c.get('caller'), {
      generation,
      ufrag: frag.ufrag,
      pwd: frag.pwd,
      candidates: frag.candidates,
    }),
  );
  c.header('content-type', SDPFRAG);
  c.header('etag', await sessionEtag(id, restarted.generation));
  return c.body(answerFrag(restarted.sdp), 200);
}

/** The routes of one protocol, mounted at `/api/media/whip` or `/api/media/whep`. */
export function ingestRoutes(protocol: IngestProtocol): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use('*', ingestCors());
  // Before authentication: browsers send preflights without the Authorization header.
  routes.options('/sessions/:id', options(RESOURCE_METHODS, { 'accept-patch': SDPFRAG }));
  routes.options('/:room', options(ENDPOINT_METHODS, { 'accept-post': SDP }));
  if (protocol === 'whep') {
    routes.options('/:room/:participant', options(ENDPOINT_METHODS, { 'accept-post': SDP }));
  }
  routes.use('*', limitBody(), authenticate());

  routes.patch('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    const stub = sessionStub(c, id);
    requireContentType(c, SDPFRAG);
    const caller = c.get('caller');
    // 404 / 403 before anything else is said about the session.
    const ice = unwrap(await stub.iceState(id, caller));
    const etag = await sessionEtag(id, ice.generation);
    const ifMatch = c.req.header('if-match');
    if (ifMatch !== undefined && !ifMatches(ifMatch, etag)) {
      throw new MediaError('precondition_failed', 'If-Match does not name the current ETag', {
        etag,
      });
    }
    const frag = parseSdpFrag(await bodyText(c));
    if (frag.candidates.length > MAX_CANDIDATES_PER_REQUEST) {
      throw new MediaError(
        'invalid_request',
        `at most ${MAX_CANDIDATES_PER_REQUEST} candidates per request`,
        { field: '(body)', limit: MAX_CANDIDATES_PER_REQUEST },
      );
    }
    // RFC 9725 section 4.3.2: new ICE credentials are an ICE restart.
    if (frag.ufrag !== undefined && ice.ufrag !== undefined && frag.ufrag !== ice.ufrag) {
      return restartIce(c, id, ifMatch, ice.generation, frag);
    }
    if (frag.candidates.length > 0) unwrap(await stub.candidates(id, caller, frag.candidates));
    return c.body(null, 204);
  });

  routes.delete('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    unwrap(await sessionStub(c, id).close(id, c.get('caller')));
    return c.body(null, 200);
  });
  routes.all('/sessions/:id', notAllowed(RESOURCE_METHODS));

  if (protocol === 'whip') {
    routes.post('/:room', (c) => open(c, 'whip', { kind: 'publish' }));
  } else {
    routes.post('/:room', (c) => open(c, 'whep', { kind: 'view' }));
    routes.post('/:room/:participant', (c) => {
      const { participant } = parseValue(endpointParams, c.req.param());
      return open(c, 'whep', { kind: 'view', participant });
    });
    routes.all('/:room/:participant', notAllowed(ENDPOINT_METHODS));
  }
  routes.all('/:room', notAllowed(ENDPOINT_METHODS));
  return routes;
}
