/**
 * The per-packet half of active speaker detection: an audio track's RFC 6464 levels summed as
 * they arrive (one comparison per header extension and two additions per audio packet, nothing
 * for video), taken as a mean once per detector tick (active-speaker.ts).
 */
import { EXT_URI, type NegotiatedExtension } from '../fast/rtp-extensions.ts';

/** The id under which a publisher sends `ssrc-audio-level` (0: not negotiated). */
export function audioLevelId(extensions: readonly NegotiatedExtension[]): number {
  return extensions.find((e) => e.uri === EXT_URI.audioLevel)?.id ?? 0;
}

export class AudioLevelMeter {
  #sum = 0;
  #count = 0;

  /**
   * Adds the level of one packet, from werift's parsed extension list (`id` of the audio level,
   * from `audioLevelId`). The first byte is V (voice activity, ignored) and the level in dBov.
   */
  add(extensions: ReadonlyArray<{ id: number; payload: Buffer }>, id: number): void {
    for (let i = 0; i < extensions.length; i++) {
      const e = extensions[i];
      if (e?.id !== id) continue;
      const byte = e.payload[0];
      if (byte !== undefined) {
        this.#sum += byte & 0x7f;
        this.#count++;
      }
      return;
    }
  }

  /** The mean level (dBov) since the last take, undefined when no packet carried one. */
  take(): number | undefined {
    const mean = this.#count === 0 ? undefined : this.#sum / this.#count;
    this.#sum = 0;
    this.#count = 0;
    return mean;
  }
}
