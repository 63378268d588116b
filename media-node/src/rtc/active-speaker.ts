/**
 * Active speaker detection for one room, from the publishers' RFC 6464 audio levels: a pure
 * state machine stepped on a timer (no clock of its own, no I/O), so its rules are unit-tested.
 *
 * Per tick each participant brings the mean level of the audio packets it sent during the tick
 * (dBov, 0 = loudest .. 127 = silence). A tick without any packet keeps the participant's level
 * for up to `holdTicks` ticks (packets bunch up under load: an empty 100 ms tick is jitter, and
 * counting it as silence let a voice 3 dB below the speaker take over), and counts as silence
 * after that (muted, DTX). Levels are smoothed per participant (exponential moving average in
 * dB), then:
 * - with no speaker, the loudest participant above `speechDb` for `switchTicks` ticks in a row
 *   becomes the speaker;
 * - a challenger replaces the speaker only when it is more than `hysteresisDb` louder for
 *   `switchTicks` ticks in a row (a silent speaker is beaten by anyone speaking), so two voices
 *   a few dB apart never flap;
 * - a speaker who left is replaced by nobody (null) at once; the next one is chosen as above.
 *
 * Timing with the defaults (100 ms ticks, alpha 0.4, 3 ticks): a voice 20 dB above the speaker
 * takes over in about 0.4-0.5 s; one 3 dB above never does (the hysteresis is 6 dB).
 */

/** RFC 6464: the level field is -dBov, 0..127; 127 is silence. */
export const SILENCE_DBOV = 127;

export interface ActiveSpeakerOptions {
  /** Weight of the newest tick in the moving average, 0..1. */
  alpha: number;
  /** How much louder (dB) a challenger must be than the speaker. */
  hysteresisDb: number;
  /** Consecutive ticks a challenger must hold its lead (or a first speaker its level). */
  switchTicks: number;
  /** Smoothed level (dB, negative: -dBov) from which a participant counts as speaking. */
  speechDb: number;
  /** Consecutive ticks without packets that keep the level before they count as silence. */
  holdTicks: number;
}

export const DEFAULT_SPEAKER_OPTIONS: ActiveSpeakerOptions = {
  alpha: 0.4,
  hysteresisDb: 6,
  switchTicks: 3,
  speechDb: -70,
  holdTicks: 3,
};

/** One participant's input for one tick: its mean level in dBov, undefined without packets. */
export interface LevelSample {
  id: string;
  dbov: number | undefined;
}

export class ActiveSpeakerDetector {
  readonly #o: ActiveSpeakerOptions;
  /** Smoothed level per participant, dB (0 loudest, -127 silent). */
  readonly #smoothed = new Map<string, number>();
  /** Consecutive ticks without packets, per participant. */
  readonly #empty = new Map<string, number>();
  #speaker: string | null = null;
  /** The participant currently holding a lead over the speaker, and for how many ticks. */
  #challenger: string | null = null;
  #leadTicks = 0;

  constructor(options: Partial<ActiveSpeakerOptions> = {}) {
    this.#o = { ...DEFAULT_SPEAKER_OPTIONS, ...options };
  }

  get speaker(): string | null {
    return this.#speaker;
  }

  /** The smoothed level of `id` in dB (undefined: unknown participant). */
  level(id: string): number | undefined {
    return this.#smoothed.get(id);
  }

  /**
   * Steps one tick with every current participant's level (participants missing from `samples`
   * are forgotten). Returns the new speaker when it changed, undefined when it did not.
   */
  tick(samples: Iterable<LevelSample>): string | null | undefined {
    const { alpha } = this.#o;
    const seen = new Set<string>();
    for (const { id, dbov } of samples) {
      seen.add(id);
      const prev = this.#smoothed.get(id);
      if (dbov === undefined) {
        const empty = (this.#empty.get(id) ?? 0) + 1;
        this.#empty.set(id, empty);
        if (prev !== undefined && empty <= this.#o.holdTicks) continue;
      } else {
        this.#empty.delete(id);
      }
      const db = -clampDbov(dbov);
      this.#smoothed.set(id, prev === undefined ? db : prev + alpha * (db - prev));
    }
    for (const id of this.#smoothed.keys()) {
      if (!seen.has(id)) {
        this.#smoothed.delete(id);
        this.#empty.delete(id);
      }
    }
    if (this.#speaker !== null && !seen.has(this.#speaker)) {
      this.#speaker = null;
      this.#resetChallenge();
      return null;
    }
    return this.#decide();
  }

  #decide(): string | null | undefined {
    const { hysteresisDb, speechDb, switchTicks } = this.#o;
    const loudest = this.#loudestOtherThan(this.#speaker);
    if (loudest === null) {
      this.#resetChallenge();
      return undefined;
    }
    const [id, db] = loudest;
    const bar =
      this.#speaker === null
        ? speechDb
        : Math.max(speechDb, (this.#smoothed.get(this.#speaker) ?? -SILENCE_DBOV) + hysteresisDb);
    // Strictly louder than the bar: a speaker exactly at the threshold has not started.
    if (db <= bar) {
      this.#resetChallenge();
      return undefined;
    }
    if (this.#challenger !== id) {
      this.#challenger = id;
      this.#leadTicks = 0;
    }
    this.#leadTicks++;
    if (this.#leadTicks < switchTicks) return undefined;
    this.#speaker = id;
    this.#resetChallenge();
    return id;
  }

  #loudestOtherThan(exclude: string | null): [string, number] | null {
    let best: [string, number] | null = null;
    for (const entry of this.#smoothed) {
      if (entry[0] === exclude) continue;
      if (best === null || entry[1] > best[1]) best = entry;
    }
    return best;
  }

  #resetChallenge(): void {
    this.#challenger = null;
    this.#leadTicks = 0;
  }
}

function clampDbov(dbov: number | undefined): number {
  if (dbov === undefined || !Number.isFinite(dbov)) return SILENCE_DBOV;
  return Math.min(SILENCE_DBOV, Math.max(0, dbov));
}
