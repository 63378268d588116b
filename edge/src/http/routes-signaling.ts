/** `/api/media/sessions/:id/...`: offer, answer, trickle ICE, and the event WebSocket. */
import { Hono } from 'hono';
import { z } from 'zod';
import {
  answerSchema,
  candidatesSchema,
  offerSchema,
  subscriptionChangeSchema,
  trackIdSchema,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { assertFingerprints, assertMediaSections } from '../../../shared/sdp-limits.ts';
import { unwrap } from '../outcome.ts';
import { CALLER_HEADER } from '../shard/session-shard.ts';
import type { AppEnv } from './context.ts';
import { parseBody, parseValue } from './parse.ts';
import { sessionStub } from './session-stub.ts';

const eventsQuerySchema = z.object({ since: z.coerce.number().int().min(0).default(0) });

export const signalingRoutes = new Hono<AppEnv>();

/**
 * The bounds the media node applies, checked here first: an SDP with too many m-lines or a
 * malformed fingerprint is refused before it costs a shard call and a node round trip (a
 * 137-m-line offer once made the node write an 80 KB answer the edge gave up waiting for).
 */
function assertSdpBounds(sdp: string, what: 'offer' | 'answer'): void {
  assertMediaSections(sdp, what);
  assertFingerprints(sdp, what);
}

signalingRoutes.post('/:id/offer', async (c) => {
  const id = c.req.param('id');
  const stub = sessionStub(c, id);
  const { sdp } = await parseBody(c, offerSchema);
  assertSdpBounds(sdp, 'offer');
  return c.json(unwrap(await stub.offer(id, c.get('caller'), sdp)));
});

signalingRoutes.post('/:id/answer', async (c) => {
  const id = c.req.param('id');
  const stub = sessionStub(c, id);
  const { sdp } = await parseBody(c, answerSchema);
  assertSdpBounds(sdp, 'answer');
  unwrap(await stub.answer(id, c.get('caller'), sdp));
  return c.body(null, 204);
});

signalingRoutes.post('/:id/candidates', async (c) => {
  const id = c.req.param('id');
  const stub = sessionStub(c, id);
  const { candidates } = await parseBody(c, candidatesSchema);
  unwrap(await stub.candidates(id, c.get('caller'), candidates));
  return c.body(null, 204);
});

signalingRoutes.put('/:id/subscriptions/:trackId', async (c) => {
  const id = c.req.param('id');
  const stub = sessionStub(c, id);
  const trackId = trackIdSchema.safeParse(c.req.param('trackId'));
  if (!trackId.success) {
    throw new MediaError('invalid_request', 'invalid track id', { field: 'trackId' });
  }
  const change = await parseBody(c, subscriptionChangeSchema);
  return c.json(unwrap(await stub.subscription(id, c.get('caller'), trackId.data, change)));
});

signalingRoutes.get('/:id/events', async (c) => {
  const id = c.req.param('id');
  const stub = sessionStub(c, id);
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new MediaError('invalid_request', 'this route only serves WebSocket upgrades', {
      field: 'upgrade',
    });
  }
  const { since } = parseValue(eventsQuerySchema, { since: c.req.query('since') });
  const url = new URL('https://shard.internal/events');
  url.searchParams.set('session', id);
  url.searchParams.set('since', String(since));
  return stub.fetch(
    new Request(url, {
      headers: { upgrade: 'websocket', [CALLER_HEADER]: JSON.stringify(c.get('caller')) },
    }),
  );
});
