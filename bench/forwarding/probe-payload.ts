/**
 * The forwarding benchmark's RTP payload: who sent it, what kind, when (for the forwarding
 * delay) and its index (for loss). Publisher and receivers run in the same harness process, so
 * `performance.timeOrigin + performance.now()` is one clock on both sides.
 */

/** Payload layout: [0] publisher index, [1] kind (0 audio, 1 video), [2..10) f64 ms, [10..14) u32. */
export const PROBE_BYTES = 14;

export const KIND_AUDIO = 0;
export const KIND_VIDEO = 1;

/** Wall-clock milliseconds with sub-ms resolution, shared by publishers and receivers. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A payload of `size` bytes carrying the probe fields. */
export function probePayload(
  publisher: number,
  kind: number,
  index: number,
  size: number,
  sentAtMs: number,
): Buffer {
  const b = Buffer.alloc(Math.max(size, PROBE_BYTES));
  b[0] = publisher;
  b[1] = kind;
  b.writeDoubleLE(sentAtMs, 2);
  b.writeUInt32LE(index >>> 0, 10);
  return b;
}

export interface Probe {
  publisher: number;
  kind: number;
  sentAtMs: number;
}

/** Reads the probe at `offset` of `buf` (the RTP payload start), or undefined if too short. */
export function readProbe(buf: Uint8Array, offset: number, end: number): Probe | undefined {
  if (end - offset < PROBE_BYTES) return undefined;
  const view = Buffer.from(buf.buffer, buf.byteOffset + offset, PROBE_BYTES);
  return { publisher: view[0]!, kind: view[1]!, sentAtMs: view.readDoubleLE(2) };
}
