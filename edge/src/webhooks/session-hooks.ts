/**
 * Which webhook events a session's changes raise (the shard calls these where it decides the
 * change): created; connected (with participant.joined: the participant is in the room's media
 * now); ended (its tracks unpublished, then participant.left when it had joined); a track its
 * own media added or removed. With webhooks off every method returns at once.
 */
import type { EndReason, TrackInfo } from '../../../shared/api.ts';
import type { SessionRecord } from '../session/view.ts';
import { webhookEvent } from './events.ts';
import type { WebhookSink } from './sink.ts';

export function roomKey(room: string): string {
  return `room:${room}`;
}

function sessionData(r: SessionRecord) {
  return {
    sessionId: r.id,
    deviceId: r.deviceId,
    room: r.room,
    node: { id: r.nodeId, region: r.nodeRegion },
  };
}

export class SessionHooks {
  readonly #sink: WebhookSink;

  constructor(sink: WebhookSink) {
    this.#sink = sink;
  }

  get enabled(): boolean {
    return this.#sink.enabled;
  }

  created(r: SessionRecord, now: number): void {
    if (!this.#sink.enabled) return;
    this.#sink.emit(webhookEvent('session.created', roomKey(r.room), sessionData(r), now));
  }

  connected(r: SessionRecord, now: number): void {
    if (!this.#sink.enabled) return;
    const key = roomKey(r.room);
    this.#sink.emit(webhookEvent('session.connected', key, sessionData(r), now));
    const who = { room: r.room, sessionId: r.id, deviceId: r.deviceId };
    this.#sink.emit(webhookEvent('participant.joined', key, who, now));
  }

  /**
   * `r` already ended (`state` closed or failed); `joined`: it had been connected. Tracks it
   * still had are unpublished first: the node's own report of them, if any, comes after the
   * end and is ignored for an ended session.
   */
  ended(r: SessionRecord, reason: EndReason, joined: boolean, now: number): void {
    if (!this.#sink.enabled) return;
    const key = roomKey(r.room);
    for (const t of r.tracks) this.track(r, 'removed', t, now);
    if (joined) {
      const who = { room: r.room, sessionId: r.id, deviceId: r.deviceId, reason };
      this.#sink.emit(webhookEvent('participant.left', key, who, now));
    }
    const state = r.state === 'closed' ? 'closed' : 'failed';
    this.#sink.emit(webhookEvent('session.ended', key, { ...sessionData(r), state, reason }, now));
  }

  track(r: SessionRecord, action: 'added' | 'removed', track: TrackInfo, now: number): void {
    if (!this.#sink.enabled) return;
    const data = { room: r.room, sessionId: r.id, trackId: track.trackId, kind: track.kind };
    const type = action === 'added' ? 'track.published' : 'track.unpublished';
    this.#sink.emit(webhookEvent(type, roomKey(r.room), data, now));
  }

  flush(): Promise<void> {
    return this.#sink.flush();
  }
}
