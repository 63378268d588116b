/**
 * One werift peer of the forwarding benchmark: a publisher (audio + video at a fixed packet rate,
 * probe payloads) or a receive-only subscriber (a data channel so that its first offer has an
 * m-line). Both answer the node's renegotiation offers, relayed by the fake edge, and count what
 * they receive through an `RtpTap`.
 */
import { MediaStreamTrack, RtpHeader, RtpPacket } from 'werift';
import { withTimeout } from '../../media-node/src/util/timers.ts';
import type { NodeApi } from '../../media-node/test/helpers/node-api.ts';
import type { FakeEdge } from '../../test/support/fake-edge.ts';
import {
  createLoopbackPeer,
  waitForConnected,
  waitForGathering,
} from '../../test/support/loopback-peer.ts';
import { KIND_AUDIO, KIND_VIDEO, probePayload } from './probe-payload.ts';
import { type ReceiveTally, RtpTap } from './rtp-tap.ts';

export interface PeerTarget {
  api: NodeApi;
  edge: FakeEdge;
  room: string;
  tally: ReceiveTally;
}

/** The node refused the session (admission control): the step records it. */
export class Refused extends Error {
  readonly status: number;
  readonly code: string;
  /** The `retry-after` header (seconds), if the node sent one. */
  readonly retryAfter: string | undefined;
  /** The node's measured event-loop lag when it refused (`error.eventLoopLagMs`), if given. */
  readonly lagMs: number | undefined;
  constructor(status: number, code: string, retryAfter?: string | null, lagMs?: unknown) {
    super(`refused: ${status} ${code}${retryAfter ? ` retry-after ${retryAfter}` : ''}`);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter ?? undefined;
    this.lagMs = typeof lagMs === 'number' ? lagMs : undefined;
  }

  /** What the refusal looked like, for counting kinds: `503 capacity_exceeded retry-after=2`. */
  get kind(): string {
    return `${this.status} ${this.code} retry-after=${this.retryAfter ?? 'none'}`;
  }
}

export class BenchPeer {
  readonly pc = createLoopbackPeer();
  readonly id: string;
  /** Publisher index (payload byte 0), or undefined for a subscriber. */
  readonly publisher: number | undefined;
  /** The step (offered subscriber count) at which it was admitted; 0 for publishers. */
  cohort = 0;
  tap: RtpTap | undefined;
  answerErrors = 0;
  readonly #t: PeerTarget;
  readonly #tracks: ProbeTracks | undefined;
  #off: () => void = () => {};

  constructor(t: PeerTarget, id: string, publisher?: number) {
    this.#t = t;
    this.id = id;
    this.publisher = publisher;
    if (publisher === undefined) {
      this.pc.createDataChannel('bench');
    } else {
      this.#tracks = new ProbeTracks(publisher);
      this.pc.addTransceiver(this.#tracks.audio, { direction: 'sendrecv' });
      this.pc.addTransceiver(this.#tracks.video, { direction: 'sendrecv' });
    }
  }

  /** Offers, connects, installs the tap; rejects with `Refused` on a 4xx/5xx admission reply. */
  async join(): Promise<void> {
    this.#off = this.#t.edge.onEvent((e) => {
      if (e.sessionId === this.id && e.type === 'offer') {
        this.#answer(e.sdp).catch(() => this.answerErrors++);
      }
    });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await waitForGathering(this.pc);
    const res = await this.#t.api.request('POST', `/internal/v1/sessions/${this.id}/offer`, {
      room: this.#t.room,
      deviceId: `load-${this.id}`,
      echo: false,
      sdp: this.pc.localDescription?.sdp,
    });
    if (res.status !== 200) {
      const error = res.json?.error;
      throw new Refused(
        res.status,
        String(error?.code),
        res.headers.get('retry-after'),
        error?.eventLoopLagMs,
      );
    }
    await this.pc.setRemoteDescription({ type: 'answer', sdp: res.json.sdp });
    await waitForConnected(this.pc, 20_000);
    this.tap = new RtpTap(this.pc, this.#t.tally);
  }

  /** Publishers: one audio (~100 B) and one video (~1000 B) packet, probe-stamped. */
  sendTick(sentAtMs: number): number {
    return this.#tracks?.sendTick(sentAtMs) ?? 0;
  }

  /** True once every expected (publisher, kind) stream of `publishers` has arrived at least once. */
  receivesAll(publishers: readonly number[]): boolean {
    return receivesAll(this.tap?.seen, publishers, this.publisher);
  }

  async close(): Promise<void> {
    this.#off();
    await withTimeout(this.pc.close(), 2_000).catch(() => {});
  }

  async #answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const res = await this.#t.api.request('POST', `/internal/v1/sessions/${this.id}/answer`, {
      sdp: this.pc.localDescription?.sdp,
    });
    if (res.status !== 204) throw new Error(`answer refused: ${res.status}`);
  }
}

/** A publisher's audio and video tracks, sending probe-stamped packets (any signaling). */
export class ProbeTracks {
  readonly audio = new MediaStreamTrack({ kind: 'audio' });
  readonly video = new MediaStreamTrack({ kind: 'video' });
  readonly #publisher: number;
  #seq = 0;

  constructor(publisher: number) {
    this.#publisher = publisher;
  }

  /** One audio (~100 B) and one video (~1000 B) packet; returns 2. */
  sendTick(sentAtMs: number): number {
    const p = this.#publisher;
    const seq = this.#seq++;
    const at = (ssrc: number, ts: number, marker: boolean) =>
      new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc, marker });
    this.audio.writeRtp(
      new RtpPacket(at(1, seq * 960, false), probePayload(p, KIND_AUDIO, seq, 100, sentAtMs)),
    );
    this.video.writeRtp(
      new RtpPacket(at(2, seq * 3_000, true), probePayload(p, KIND_VIDEO, seq, 1_000, sentAtMs)),
    );
    return 2;
  }
}

/** True once `seen` has every (publisher, kind) stream of `publishers` but `self`'s own. */
export function receivesAll(
  seen: ReadonlySet<number> | undefined,
  publishers: readonly number[],
  self: number | undefined,
): boolean {
  if (!seen) return false;
  for (const p of publishers) {
    if (p === self) continue;
    if (!seen.has(p * 2 + KIND_AUDIO) || !seen.has(p * 2 + KIND_VIDEO)) return false;
  }
  return true;
}
