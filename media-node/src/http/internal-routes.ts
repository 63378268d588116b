/** The internal API the edge calls (base `/internal/v1`, see shared/internal.ts). */
import { z } from 'zod';
import {
  answerSchema,
  candidatesSchema,
  nameSchema,
  subscriptionChangeSchema,
  trackIdSchema,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { closeQuerySchema, INTERNAL_BASE, nodeOfferSchema } from '../../../shared/internal.ts';
import type { SessionHost } from '../workers/session-host.ts';
import { parseJson } from './body.ts';
import type { Router } from './router.ts';
import type { Route } from './types.ts';

/** Session ids are opaque to the node, but bounded like the event schema's. */
const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);

function sessionId(params: Record<string, string>): string {
  const parsed = sessionIdSchema.safeParse(params.id);
  if (!parsed.success)
    throw new MediaError('invalid_request', 'invalid session id', { field: 'id' });
  return parsed.data;
}

export function addInternalRoutes(router: Router<Route>, registry: SessionHost): void {
  const base = INTERNAL_BASE;
  router
    .add('POST', `${base}/sessions/:id/offer`, {
      signed: true,
      async handle({ params, body }) {
        const id = sessionId(params);
        const sdp = await registry.offer(id, parseJson(body, nodeOfferSchema));
        return { status: 200, json: { type: 'answer', sdp } };
      },
    })
    .add('POST', `${base}/sessions/:id/answer`, {
      signed: true,
      async handle({ params, body }) {
        await registry.answer(sessionId(params), parseJson(body, answerSchema).sdp);
        return { status: 204 };
      },
    })
    .add('POST', `${base}/sessions/:id/candidates`, {
      signed: true,
      async handle({ params, body }) {
        await registry.candidates(sessionId(params), parseJson(body, candidatesSchema).candidates);
        return { status: 204 };
      },
    })
    .add('GET', `${base}/sessions/:id`, {
      signed: true,
      handle: async ({ params }) => ({
        status: 200,
        json: await registry.view(sessionId(params)),
      }),
    })
    .add('PUT', `${base}/sessions/:id/subscriptions/:trackId`, {
      signed: true,
      async handle({ params, body }) {
        const id = sessionId(params);
        const trackId = trackIdSchema.safeParse(params.trackId);
        if (!trackId.success) {
          throw new MediaError('invalid_request', 'invalid track id', { field: 'trackId' });
        }
        const change = parseJson(body, subscriptionChangeSchema);
        return { status: 200, json: await registry.setSubscription(id, trackId.data, change) };
      },
    })
    .add('DELETE', `${base}/sessions/:id`, {
      signed: true,
      async handle({ params, query }) {
        const parsed = closeQuerySchema.safeParse(Object.fromEntries(query));
        if (!parsed.success)
          throw new MediaError('invalid_request', 'invalid reason', { field: 'reason' });
        await registry.close(sessionId(params), parsed.data.reason);
        return { status: 204 };
      },
    })
    .add('GET', `${base}/rooms/:room`, {
      signed: true,
      async handle({ params }) {
        const room = nameSchema.safeParse(params.room);
        if (!room.success)
          throw new MediaError('invalid_request', 'invalid room name', { field: 'room' });
        return { status: 200, json: await registry.roomView(room.data) };
      },
    });
}
