/**
 * Webhook events the node registry raises: a room's first session placed (room.started) and its
 * last one gone (room.finished), a node draining, a node lost (and the rooms it held finished).
 */
import { webhookEvent } from './events.ts';
import { roomKey } from './session-hooks.ts';
import type { WebhookSink } from './sink.ts';

export function nodeKey(nodeId: string): string {
  return `node:${nodeId}`;
}

export class RegistryHooks {
  readonly #sink: WebhookSink;

  constructor(sink: WebhookSink) {
    this.#sink = sink;
  }

  get enabled(): boolean {
    return this.#sink.enabled;
  }

  /** Whether events wait in the owner's outbox for a hand-off (sink.ts). */
  get pending(): boolean {
    return this.#sink.pending;
  }

  roomStarted(room: string, nodeId: string, now: number): void {
    if (!this.#sink.enabled) return;
    this.#sink.emit(webhookEvent('room.started', roomKey(room), { room, nodeId }, now));
  }

  roomFinished(
    room: string,
    nodeId: string,
    reason: 'empty' | 'node_lost' | 'node_shutdown',
    now: number,
  ): void {
    if (!this.#sink.enabled) return;
    this.#sink.emit(webhookEvent('room.finished', roomKey(room), { room, nodeId, reason }, now));
  }

  nodeDraining(nodeId: string, now: number): void {
    if (!this.#sink.enabled) return;
    this.#sink.emit(webhookEvent('node.draining', nodeKey(nodeId), { nodeId }, now));
  }

  nodeLost(nodeId: string, reason: 'node_lost' | 'node_shutdown', now: number): void {
    if (!this.#sink.enabled) return;
    this.#sink.emit(webhookEvent('node.lost', nodeKey(nodeId), { nodeId, reason }, now));
  }

  flush(): Promise<void> {
    return this.#sink.flush();
  }
}
