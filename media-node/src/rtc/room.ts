/**
 * A room: the SFU logic between its participants. Members join at session creation and
 * become active once connected; only active members publish, subscribe and get events.
 * Every published track goes to every other active member; data messages are relayed to
 * every other active member (and back to the sender in echo mode).
 *
 * Event addressing: `track` events are sent once per member (the `sessionId` of the event is
 * the recipient). `participant` events cannot be addressed that way: their body's own
 * `sessionId` (the participant) takes the same key as the recipient in `NodeEvent`
 * (shared/events.ts). So each join / leave is reported once, about the participant's session,
 * and the edge, which knows the room's members, fans it out.
 */
import type { NodeEvent } from '../../../shared/events.ts';
import type { NodeRoomView } from '../../../shared/internal.ts';
import type { PublishedTrack } from './published-track.ts';
import type { Session } from './session.ts';

export class Room {
  readonly name: string;
  readonly #emit: (event: NodeEvent) => void;
  readonly #members = new Map<string, Session>();
  readonly #active = new Set<Session>();

  constructor(name: string, emit: (event: NodeEvent) => void) {
    this.name = name;
    this.#emit = emit;
  }

  get size(): number {
    return this.#members.size;
  }

  add(session: Session): void {
    this.#members.set(session.id, session);
  }

  /** The session connected: introduce it, give it every existing track, publish its own. */
  activate(session: Session): void {
    if (!this.#members.has(session.id) || this.#active.has(session)) return;
    this.#participant('joined', session);
    for (const other of this.#active) {
      for (const track of other.published.values()) {
        session.notify(trackEvent('added', track));
        session.subscribe(track);
      }
    }
    this.#active.add(session);
    for (const track of session.published.values()) this.publish(session, track);
  }

  /** A member's track arrived: announce it to everyone and forward it to the others. */
  publish(session: Session, track: PublishedTrack): void {
    if (!this.#active.has(session)) return; // activate() publishes it later
    for (const member of this.#active) {
      member.notify(trackEvent('added', track));
      if (member !== session) member.subscribe(track);
    }
  }

  relay(from: Session, data: string | Buffer): void {
    for (const member of this.#active) {
      if (member !== from || from.echo) member.sendData(data);
    }
  }

  /** Removes `session` and its tracks from everyone else. */
  leave(session: Session): void {
    this.#members.delete(session.id);
    if (!this.#active.delete(session)) return;
    for (const other of this.#active) {
      for (const track of session.published.values()) {
        other.unsubscribe(track.id);
        other.notify(trackEvent('removed', track));
      }
    }
    this.#participant('left', session);
  }

  #participant(action: 'joined' | 'left', session: Session): void {
    this.#emit({ type: 'participant', action, sessionId: session.id, deviceId: session.deviceId });
  }

  view(): NodeRoomView {
    return {
      room: this.name,
      participants: [...this.#members.values()].map((s) => {
        const { sessionId, deviceId, state, tracks } = s.view();
        return { sessionId, deviceId, state, tracks };
      }),
    };
  }
}

function trackEvent(action: 'added' | 'removed', track: PublishedTrack) {
  return {
    type: 'track' as const,
    action,
    trackId: track.id,
    kind: track.kind,
    publisherSessionId: track.publisherSessionId,
    publisherDeviceId: track.publisherDeviceId,
  };
}
