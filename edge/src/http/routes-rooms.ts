/** `/api/media/rooms/:room`: who is in a room, asked of the room's media node. */
import { Hono } from 'hono';
import { z } from 'zod';
import { nameSchema, type RoomView } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { nodeRoomViewSchema } from '../../../shared/node-replies.ts';
import { assertRoomAccess } from '../auth/access.ts';
import { callNode } from '../node/node-client.ts';
import { placerIndex } from '../placement/placer-name.ts';
import { type AppEnv, config, placer } from './context.ts';
import { parseValue } from './parse.ts';

const roomParamSchema = z.object({ room: nameSchema });

export const roomRoutes = new Hono<AppEnv>();

roomRoutes.get('/:room', async (c) => {
  const { room } = parseValue(roomParamSchema, { room: c.req.param('room') });
  assertRoomAccess(c.get('caller'), room);
  const cfg = config(c);
  // A named room: its placer does not depend on the device (placer-name.ts).
  const node = await placer(c, placerIndex(room, '', cfg.SHARD_COUNT)).roomNode(room);
  if (!node) throw new MediaError('room_not_found', 'no such room', { room });
  const reply = await callNode(
    node,
    { method: 'GET', path: `/rooms/${encodeURIComponent(room)}` },
    { secret: cfg.NODE_SHARED_SECRET, timeoutMs: cfg.NODE_TIMEOUT_MS },
  );
  const parsed = nodeRoomViewSchema.safeParse(reply);
  if (!parsed.success) {
    throw new MediaError('media_node_unavailable', 'media node sent an invalid room view', {
      node: node.id,
    });
  }
  const view: RoomView = {
    room,
    node: { id: node.id, region: node.region },
    participants: parsed.data.participants,
    activeSpeaker: parsed.data.activeSpeaker,
  };
  return c.json(view);
});
