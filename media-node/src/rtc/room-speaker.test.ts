/** Room's active speaker plumbing with fake members: levels in, `speaker` events out. */
import { describe, expect, it } from 'vitest';
import type { EventBody } from '../../../shared/events.ts';
import { AudioLevelMeter } from './audio-level.ts';
import type { PublishedTrack } from './published-track.ts';
import { Room } from './room.ts';
import type { Session } from './session.ts';

const LEVEL_ID = 3;

interface FakeMember {
  session: Session;
  events: EventBody[];
  /** Feeds one tick's worth of packets at `dbov` (none: silent). */
  speak(dbov: number | undefined): void;
}

function member(id: string, options: { audio?: boolean } = {}): FakeMember {
  const events: EventBody[] = [];
  const level = new AudioLevelMeter();
  const published = new Map<string, PublishedTrack>();
  const track = {
    id: `${id}:0`,
    kind: options.audio === false ? 'video' : 'audio',
    level: options.audio === false ? undefined : level,
    publisherSessionId: id,
    publisherDeviceId: `dev-${id}`,
  } as unknown as PublishedTrack;
  published.set(track.id, track);
  const session = {
    id,
    deviceId: `dev-${id}`,
    published,
    notify: (e: EventBody) => events.push(e),
    subscribe: () => {},
    unsubscribe: () => {},
    view: () => ({ sessionId: id, deviceId: `dev-${id}`, state: 'connected', tracks: [] }),
  } as unknown as Session;
  return {
    session,
    events,
    speak(dbov) {
      if (dbov === undefined) return;
      for (let i = 0; i < 5; i++)
        level.add([{ id: LEVEL_ID, payload: Buffer.from([dbov]) }], LEVEL_ID);
    },
  };
}

const speakerEvents = (m: FakeMember) => m.events.filter((e) => e.type === 'speaker');

describe('Room active speaker', () => {
  it('tells every active member, names the device, and shows it in the view', () => {
    const room = new Room('r');
    const [a, b, c] = [member('a'), member('b'), member('c', { audio: false })];
    for (const m of [a, b, c]) {
      room.add(m.session);
      room.activate(m.session);
    }
    for (let t = 0; t < 5; t++) {
      a.speak(50);
      b.speak(20);
      room.tickSpeaker();
    }
    const expected = { type: 'speaker', participantSessionId: 'b', deviceId: 'dev-b' };
    for (const m of [a, b, c]) expect(speakerEvents(m)).toEqual([expected]);
    expect(room.view().activeSpeaker).toBe('b');

    // A newcomer learns the current speaker when it becomes active.
    const d = member('d');
    room.add(d.session);
    room.activate(d.session);
    expect(speakerEvents(d)).toEqual([expected]);
  });

  it('clears the speaker when it leaves', () => {
    const room = new Room('r');
    const [a, b] = [member('a'), member('b')];
    for (const m of [a, b]) {
      room.add(m.session);
      room.activate(m.session);
    }
    for (let t = 0; t < 5; t++) {
      a.speak(30);
      room.tickSpeaker();
    }
    expect(room.activeSpeaker).toBe('a');
    room.leave(a.session);
    room.tickSpeaker();
    expect(speakerEvents(b).at(-1)).toEqual({
      type: 'speaker',
      participantSessionId: null,
      deviceId: null,
    });
    expect(room.view().activeSpeaker).toBeNull();
  });

  it('ignores members that publish no audio and members not yet active', () => {
    const room = new Room('r');
    const [video, pending] = [member('v', { audio: false }), member('p')];
    room.add(video.session);
    room.activate(video.session);
    room.add(pending.session);
    for (let t = 0; t < 10; t++) {
      pending.speak(10);
      room.tickSpeaker();
    }
    expect(room.activeSpeaker).toBeNull();
    expect(speakerEvents(video)).toEqual([]);
  });
});
