/**
 * The events the edge sends to webhook receivers, and which dispatcher object queues each: one
 * per room (by hash, so every event of a room is queued, and delivered, in order) and one per
 * media node for node events.
 */
import type { EndReason } from '../../../shared/api.ts';
import { fnv1a32 } from '../../../shared/hash.ts';

export const WEBHOOK_EVENT_TYPES = [
  'session.created',
  'session.connected',
  'session.ended',
  'participant.joined',
  'participant.left',
  'track.published',
  'track.unpublished',
  'room.started',
  'room.finished',
  'node.lost',
  'node.draining',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

interface SessionData {
  sessionId: string;
  deviceId: string;
  room: string;
  node: { id: string; region: string };
}

/** Event type -> its `data`. */
export interface WebhookData {
  'session.created': SessionData;
  'session.connected': SessionData;
  'session.ended': SessionData & { state: 'closed' | 'failed'; reason: EndReason };
  'participant.joined': { room: string; sessionId: string; deviceId: string };
  'participant.left': { room: string; sessionId: string; deviceId: string; reason: EndReason };
  'track.published': { room: string; sessionId: string; trackId: string; kind: string };
  'track.unpublished': { room: string; sessionId: string; trackId: string; kind: string };
  'room.started': { room: string; nodeId: string };
  'room.finished': { room: string; nodeId: string; reason: 'empty' | EndReason };
  'node.lost': { nodeId: string; reason: 'node_lost' | 'node_shutdown' };
  'node.draining': { nodeId: string };
}

/** One event as queued: `id` is the Standard Webhooks `webhook-id`, the same on every retry. */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  id: string;
  type: T;
  /** When it happened, in ms since the epoch. */
  at: number;
  /** What orders it: `room:<room>` or `node:<id>`. */
  key: string;
  data: WebhookData[T];
}

/**
 * Dispatcher objects: fixed, so the metrics scrape can read them all. Changing it moves rooms to
 * other dispatchers (deliveries queued in the old ones are still sent, unordered with the new).
 */
export const DISPATCHER_COUNT = 8;

export function dispatcherFor(key: string): number {
  return fnv1a32(key) % DISPATCHER_COUNT;
}

export function dispatcherName(index: number): string {
  return `webhooks-${index}`;
}

/** Builds an event with a fresh delivery id. */
export function webhookEvent<T extends WebhookEventType>(
  type: T,
  key: string,
  data: WebhookData[T],
  at: number,
): WebhookEvent<T> {
  return { id: `msg_${crypto.randomUUID().replaceAll('-', '')}`, type, at, key, data };
}

/** The JSON body receivers get: `{type, timestamp, data}` (Standard Webhooks payload shape). */
export function webhookBody(e: WebhookEvent): string {
  return JSON.stringify({ type: e.type, timestamp: new Date(e.at).toISOString(), data: e.data });
}
