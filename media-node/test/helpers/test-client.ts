/**
 * A werift client of the media node for tests: publishes synthetic audio + video RTP, opens a
 * data channel, answers the node's renegotiation offers (read from the fake edge), and records
 * what it receives. Payload byte 0 carries a `marker` so receivers can tell publishers apart.
 */
import {
  MediaStreamTrack,
  type RTCDataChannel,
  type RTCPeerConnection,
  RtpHeader,
  RtpPacket,
} from 'werift';
import {
  createLoopbackPeer,
  waitForConnected,
  waitForGathering,
} from '../../../test/support/loopback-peer.ts';
import { withTimeout } from '../../src/util/timers.ts';
import type { TestNode } from './test-node.ts';

/** What a client needs: the signed API and the (fake) edge that relays the node's offers. */
export type ClientTarget = Pick<TestNode, 'api' | 'edge'>;

export interface ClientOptions {
  room?: string;
  echo?: boolean;
  deviceId?: string;
  /** Publish audio + video (default true). */
  publish?: boolean;
  /** Wait for complete gathering before offering (default true: candidates in the offer). */
  gather?: boolean;
  /** Negotiate RTX (default true, as werift does). */
  rtx?: boolean;
}

export class TestClient {
  readonly pc: RTCPeerConnection;
  readonly audio = new MediaStreamTrack({ kind: 'audio' });
  readonly video = new MediaStreamTrack({ kind: 'video' });
  readonly channel: RTCDataChannel;
  /** Packets received, by the sender's marker (payload byte 0) and kind. */
  readonly received = new Map<string, number>();
  readonly messages: string[] = [];
  /** PLIs the node sent to this client's video sender. */
  plis = 0;
  offersAnswered = 0;
  /** Offer POSTed -> connected, in ms (set by `join`). */
  setupMs = Number.NaN;
  /** Failures while answering server offers (asserted by tests that care). */
  readonly errors: unknown[] = [];
  readonly #offs: Array<() => void> = [];
  #seq = 0;

  readonly t: ClientTarget;
  readonly sessionId: string;
  readonly marker: number;
  readonly opts: ClientOptions;

  constructor(t: ClientTarget, sessionId: string, marker: number, opts: ClientOptions = {}) {
    this.t = t;
    this.sessionId = sessionId;
    this.marker = marker;
    this.opts = opts;
    this.pc = createLoopbackPeer({ rtx: opts.rtx ?? true });
    if (opts.publish !== false) {
      this.pc.addTransceiver(this.audio, { direction: 'sendrecv' });
      const video = this.pc.addTransceiver(this.video, { direction: 'sendrecv' });
      video.sender.onPictureLossIndication.subscribe(() => this.plis++);
    }
    this.channel = this.pc.createDataChannel('data');
    this.channel.onMessage.subscribe((m) => this.messages.push(String(m)));
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const key = `${rtp.payload[0]}:${track.kind}`;
        this.received.set(key, (this.received.get(key) ?? 0) + 1);
      });
    });
    this.#offs.push(
      t.edge.onEvent((e) => {
        if (e.sessionId === sessionId && e.type === 'offer') {
          this.#answer(e.sdp).catch((error: unknown) => this.errors.push(error));
        }
      }),
    );
  }

  /** Offers, applies the node's answer; resolves with the answer once connected. */
  async join(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (this.opts.gather !== false) await waitForGathering(this.pc);
    const posted = performance.now();
    const res = await this.t.api.request('POST', `/internal/v1/sessions/${this.sessionId}/offer`, {
      room: this.opts.room ?? `room-${this.sessionId}`,
      deviceId: this.opts.deviceId ?? `test-${this.sessionId}`,
      echo: this.opts.echo ?? false,
      sdp: this.pc.localDescription?.sdp,
    });
    if (res.status !== 200)
      throw new Error(`offer refused: ${res.status} ${JSON.stringify(res.json)}`);
    await this.pc.setRemoteDescription({ type: 'answer', sdp: res.json.sdp });
    await waitForConnected(this.pc);
    this.setupMs = performance.now() - posted;
    return res.json.sdp;
  }

  async waitForChannel(timeoutMs = 5_000): Promise<void> {
    if (this.channel.readyState === 'open') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('data channel not open')), timeoutMs);
      this.channel.stateChanged.subscribe((s) => {
        if (s === 'open') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** Writes one audio and one video packet (realistic sizes) marked with this client's marker. */
  sendMedia(): void {
    const seq = this.#seq++;
    const audio = Buffer.alloc(120, 0);
    audio[0] = this.marker;
    const video = Buffer.alloc(1_000, 0);
    video[0] = this.marker;
    this.audio.writeRtp(
      new RtpPacket(
        new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: seq * 960, ssrc: 1 }),
        audio,
      ),
    );
    this.video.writeRtp(
      new RtpPacket(
        new RtpHeader({
          sequenceNumber: seq & 0xffff,
          timestamp: seq * 3_000,
          ssrc: 2,
          marker: true,
        }),
        video,
      ),
    );
  }

  count(marker: number, kind: 'audio' | 'video'): number {
    return this.received.get(`${marker}:${kind}`) ?? 0;
  }

  async close(): Promise<void> {
    for (const off of this.#offs.splice(0)) off();
    // werift peer connections do not always reach `closed`: bound the wait.
    await withTimeout(this.pc.close(), 2_000);
  }

  async #answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const res = await this.t.api.request('POST', `/internal/v1/sessions/${this.sessionId}/answer`, {
      sdp: this.pc.localDescription?.sdp,
    });
    if (res.status !== 204)
      throw new Error(`answer refused: ${res.status} ${JSON.stringify(res.json)}`);
    this.offersAnswered++;
  }
}

/** Sends media from every client every `intervalMs` until the returned stop function is called. */
export function pump(clients: TestClient[], intervalMs = 20): () => void {
  const timer = setInterval(() => {
    for (const c of clients) c.sendMedia();
  }, intervalMs);
  return () => clearInterval(timer);
}
