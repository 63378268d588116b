/**
 * A room: the SFU logic between its participants. Members join at session creation and
 * become active once connected; only active members publish, subscribe and get events.
 * Every published track goes to every other active member; data messages are relayed to
 * every other active member (and back to the sender in echo mode).
 *
 * Event addressing: `track` and `participant` events are sent once per recipient member (the
 * `sessionId` of a `NodeEvent` is the recipient). A member that becomes active learns about
 * every member already active, and they learn about it.
 *
 * Active speaker: `tickSpeaker()` (the registry's timer) hands the members' audio levels to the
 * room's detector (active-speaker.ts) and sends a `speaker` event to every active member when
 * the speaker changes; a member that becomes active learns the current one.
 */
import type { NodeRoomView } from '../../../shared/internal.ts';
import { ActiveSpeakerDetector, type LevelSample } from './active-speaker.ts';
import type { PublishedTrack } from './published-track.ts';
import type { Session } from './session.ts';

export class Room {
  readonly name: string;
  readonly #members = new Map<string, Session>();
  readonly #active = new Set<Session>();
  readonly #speaker = new ActiveSpeakerDetector();

  constructor(name: string) {
    this.name = name;
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
    for (const other of this.#active) {
      other.notify(participantEvent('joined', session));
      session.notify(participantEvent('joined', other));
    }
    for (const other of this.#active) {
      for (const track of other.published.values()) {
        session.notify(trackEvent('added', track));
        session.subscribe(track);
      }
    }
    this.#active.add(session);
    for (const track of session.published.values()) this.publish(session, track);
    const speaker = this.#speaker.speaker;
    if (speaker !== null) session.notify(this.#speakerEvent(speaker));
  }

  /** Session id of the active speaker, null when none. */
  get activeSpeaker(): string | null {
    return this.#speaker.speaker;
  }

  /**
   * One detector tick: each active member that publishes audio brings the mean level of its
   * loudest audio track since the last tick. Everyone active hears of a change.
   */
  tickSpeaker(): void {
    const samples: LevelSample[] = [];
    for (const member of this.#active) {
      let publishesAudio = false;
      let loudest: number | undefined;
      for (const track of member.published.values()) {
        if (!track.level) continue;
        publishesAudio = true;
        const dbov = track.level.take();
        if (dbov !== undefined && (loudest === undefined || dbov < loudest)) loudest = dbov;
      }
      if (publishesAudio) samples.push({ id: member.id, dbov: loudest });
    }
    const changed = this.#speaker.tick(samples);
    if (changed === undefined) return;
    const event = this.#speakerEvent(changed);
    for (const member of this.#active) member.notify(event);
  }

  #speakerEvent(id: string | null) {
    return {
      type: 'speaker' as const,
      participantSessionId: id,
      deviceId: id === null ? null : (this.#members.get(id)?.deviceId ?? null),
    };
  }

  /** A member's track arrived: announce it to everyone and forward it to the others. */
  publish(session: Session, track: PublishedTrack): void {
    if (!this.#active.has(session)) return; // activate() publishes it later
    for (const member of this.#active) {
      member.notify(trackEvent('added', track));
      if (member !== session) member.subscribe(track);
    }
  }

  /** Every track the active members other than `viewer` publish, oldest member first. */
  *tracks(viewer: Session): Generator<PublishedTrack> {
    for (const member of this.#active) {
      if (member !== viewer) yield* member.published.values();
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
      other.notify(participantEvent('left', session));
    }
  }

  view(): NodeRoomView {
    return {
      room: this.name,
      participants: [...this.#members.values()].map((s) => {
        const { sessionId, deviceId, state, tracks } = s.view();
        return { sessionId, deviceId, state, tracks };
      }),
      activeSpeaker: this.#speaker.speaker,
    };
  }
}

function participantEvent(action: 'joined' | 'left', about: Session) {
  return {
    type: 'participant' as const,
    action,
    participantSessionId: about.id,
    deviceId: about.deviceId,
  };
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
