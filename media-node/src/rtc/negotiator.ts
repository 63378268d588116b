/**
 * Server-initiated renegotiation of one peer connection: at most one offer in flight; further
 * requests while waiting for the answer are merged into the next offer. On glare (the client
 * offers while ours is pending) the server is the polite side: it rolls its offer back, answers
 * the client, and offers again afterwards. An offer that gets no answer in time is rolled back
 * and retried a few times.
 */
import type { RTCPeerConnection } from 'werift';
import { MediaError } from '../../../shared/errors.ts';
import type { ErrorReporter } from '../util/guard.ts';
import type { SerialQueue } from '../util/serial-queue.ts';
import { toWireSdp } from './sdp/wire-sdp.ts';

/** Consecutive unanswered offers after which we stop retrying until the next change. */
const MAX_UNANSWERED = 3;

export interface NegotiatorOptions {
  pc: RTCPeerConnection;
  /** The session's signaling queue: offers never interleave with the client's requests. */
  serial: SerialQueue;
  answerTimeoutMs: number;
  /** Offers may start (the session is connected and not closed). */
  canOffer(): boolean;
  sendOffer(sdp: string): void;
  /** The client applied our offer: its new subscriptions are live. */
  onAnswered(): void;
  report: ErrorReporter;
}

export class Negotiator {
  readonly #o: NegotiatorOptions;
  #offering = false;
  #needed = false;
  #unanswered = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: NegotiatorOptions) {
    this.#o = options;
  }

  /** True while our offer waits for the client's answer. */
  get offering(): boolean {
    return this.#offering;
  }

  /** Something changed (tracks added or removed): offer when possible. */
  request(): void {
    this.#needed = true;
    this.kick();
  }

  /** Starts the next offer if one is needed and none is in flight. */
  kick(): void {
    if (this.#closed || this.#offering || !this.#needed || !this.#o.canOffer()) return;
    this.#o.serial.run(() => this.#offer()).catch((error) => this.#o.report(error, 'renegotiate'));
  }

  /** Applies the client's answer to our offer. Call inside the serial queue. */
  async applyAnswer(sdp: string): Promise<void> {
    if (!this.#offering) {
      throw new MediaError('invalid_state', 'no server offer is waiting for an answer');
    }
    await this.#o.pc.setRemoteDescription({ type: 'answer', sdp });
    this.#offering = false;
    this.#unanswered = 0;
    this.#clearTimer();
    this.#o.onAnswered();
    this.kick();
  }

  /** Glare: drops our pending offer before a client offer is applied. Call inside the queue. */
  async yieldToRemoteOffer(): Promise<void> {
    if (!this.#offering) return;
    await this.#o.pc.setLocalDescription({ type: 'rollback' });
    this.#offering = false;
    this.#needed = true;
    this.#clearTimer();
  }

  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  async #offer(): Promise<void> {
    if (this.#closed || this.#offering || !this.#needed || !this.#o.canOffer()) return;
    this.#needed = false;
    this.#offering = true;
    const offer = await this.#o.pc.createOffer();
    await this.#o.pc.setLocalDescription(offer);
    if (this.#closed) return;
    // werift writes the settled DTLS role and per-section ice-lite; an offer says actpass.
    this.#o.sendOffer(toWireSdp(this.#o.pc.localDescription?.sdp ?? offer.sdp, 'offer'));
    this.#timer = setTimeout(() => this.#onTimeout(), this.#o.answerTimeoutMs);
  }

  #onTimeout(): void {
    this.#timer = undefined;
    this.#o.serial
      .run(async () => {
        if (!this.#offering || this.#closed) return;
        await this.#o.pc.setLocalDescription({ type: 'rollback' });
        this.#offering = false;
        this.#unanswered++;
        if (this.#unanswered < MAX_UNANSWERED) this.#needed = true;
      })
      .then(() => this.kick())
      .catch((error) => this.#o.report(error, 'renegotiate_timeout'));
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
