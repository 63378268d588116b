/**
 * Recovery of a session's media path on the same session (issue 14, part 3): the peer
 * connection `disconnected` for longer than `disconnectedMs`, or `failed`, starts an ICE restart
 * (a new offer with new ICE credentials on the same session; the node keeps the room, the
 * published tracks and the subscriptions). Restarts are retried while the connection is not
 * back; `giveUpMs` after the first one the session is given up with `ice_failed`, which the
 * participant answers with a rejoin (a new session). Timers only; the offer/answer is the
 * session's (`restart`).
 */
import type { PeerConnectionState } from './peer.ts';

export interface IceRecoveryTimings {
  /** `disconnected` for longer than this starts a restart, in ms (browsers report it ~5 s after
   *  the last consent reply, or at once when the network interface goes away). */
  disconnectedMs: number;
  /** No `connected` this long after the first restart: give up (rejoin), in ms. */
  giveUpMs: number;
  /** A restart whose offer was answered but did not reconnect is tried again after this, in ms. */
  retryMs: number;
  /** A restart whose offer failed (edge unreachable: the network is still changing), in ms. */
  retryAfterErrorMs: number;
}

export const DEFAULT_ICE_RECOVERY: IceRecoveryTimings = {
  disconnectedMs: 2_000,
  giveUpMs: 10_000,
  retryMs: 4_000,
  retryAfterErrorMs: 1_000,
};

/** Why a restart started. */
export type IceRestartTrigger = 'disconnected' | 'failed';

export interface IceRecoveryOptions extends IceRecoveryTimings {
  /** One ICE restart: offer with `iceRestart`, apply the answer. */
  restart(): Promise<void>;
  onRestart(info: { attempt: number; trigger: IceRestartTrigger }): void;
  /** Connected again; `tookMs` from the first restart of this recovery. */
  onRecovered(info: { attempts: number; tookMs: number }): void;
  onRestartError(error: unknown): void;
  onGiveUp(info: { attempts: number }): void;
  now(): number;
}

export class IceRecovery {
  readonly #o: IceRecoveryOptions;
  #disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set while recovering: when the first restart started. */
  #startedAt: number | undefined;
  #attempts = 0;
  #inFlight = false;
  #trigger: IceRestartTrigger = 'disconnected';
  #closed = false;

  constructor(options: IceRecoveryOptions) {
    this.#o = options;
  }

  get recovering(): boolean {
    return this.#startedAt !== undefined;
  }

  /** Feed every connection state of an established peer connection. */
  onState(state: PeerConnectionState): void {
    if (this.#closed) return;
    switch (state) {
      case 'connected':
        this.#clear('disconnected');
        if (this.#startedAt !== undefined) {
          const info = { attempts: this.#attempts, tookMs: this.#o.now() - this.#startedAt };
          this.#reset();
          this.#o.onRecovered(info);
        }
        return;
      case 'disconnected':
        if (this.recovering || this.#disconnectedTimer) return;
        this.#disconnectedTimer = setTimeout(() => {
          this.#disconnectedTimer = undefined;
          this.#begin('disconnected');
        }, this.#o.disconnectedMs);
        return;
      case 'failed':
        this.#clear('disconnected');
        if (!this.recovering) this.#begin('failed');
        else if (!this.#inFlight) {
          // The restarted connection failed too: try again now rather than at the retry.
          this.#clear('retry');
          this.#trigger = 'failed';
          this.#attempt();
        }
        return;
      case 'closed':
        this.close();
        return;
      case 'new':
      case 'connecting':
        return;
    }
  }

  /** Stops every timer. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#reset();
    this.#clear('disconnected');
  }

  #begin(trigger: IceRestartTrigger): void {
    this.#startedAt = this.#o.now();
    this.#trigger = trigger;
    this.#giveUpTimer = setTimeout(() => {
      const attempts = this.#attempts;
      this.close();
      this.#o.onGiveUp({ attempts });
    }, this.#o.giveUpMs);
    this.#attempt();
  }

  #attempt(): void {
    if (this.#closed || !this.recovering) return;
    this.#attempts++;
    this.#inFlight = true;
    this.#o.onRestart({ attempt: this.#attempts, trigger: this.#trigger });
    this.#o.restart().then(
      () => this.#settled(this.#o.retryMs),
      (error: unknown) => {
        this.#o.onRestartError(error);
        this.#settled(this.#o.retryAfterErrorMs);
      },
    );
  }

  #settled(retryInMs: number): void {
    this.#inFlight = false;
    if (this.#closed || !this.recovering) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#attempt();
    }, retryInMs);
  }

  #reset(): void {
    this.#startedAt = undefined;
    this.#attempts = 0;
    this.#clear('retry');
    clearTimeout(this.#giveUpTimer);
    this.#giveUpTimer = undefined;
  }

  #clear(which: 'disconnected' | 'retry'): void {
    if (which === 'disconnected') {
      clearTimeout(this.#disconnectedTimer);
      this.#disconnectedTimer = undefined;
    } else {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
  }
}
