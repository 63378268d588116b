/**
 * Reads VP8 frames out of RTP packets (RFC 7741) far enough to prove the stream decodes: the
 * payload descriptor is skipped, and a key frame's uncompressed header must carry the start code
 * 9d 01 2a and the picture size (RFC 6386 section 9.1). Counts frames and key frames.
 */
import type { RtpPacket } from 'werift';

export interface Vp8Keyframe {
  width: number;
  height: number;
}

/** The VP8 payload after the descriptor, or undefined for a packet too short to have one. */
function vp8Payload(p: Buffer): { start: boolean; data: Buffer } | undefined {
  if (p.length < 1) return undefined;
  const b0 = p[0] ?? 0;
  const start = (b0 & 0x10) !== 0 && (b0 & 0x07) === 0;
  let i = 1;
  if (b0 & 0x80) {
    const x = p[i++] ?? 0;
    if (x & 0x80) i += (p[i] ?? 0) & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) i += 1; // TL0PICIDX
    if (x & 0x30) i += 1; // TID / KEYIDX
  }
  return i <= p.length ? { start, data: p.subarray(i) } : undefined;
}

/** The key frame header at the start of a frame, or undefined for an inter frame. */
export function parseKeyframe(rtp: RtpPacket): Vp8Keyframe | undefined {
  const payload = vp8Payload(rtp.payload);
  if (!payload?.start) return undefined;
  const d = payload.data;
  if (d.length < 10 || ((d[0] ?? 1) & 0x01) !== 0) return undefined; // P bit set: inter frame
  if (d[3] !== 0x9d || d[4] !== 0x01 || d[5] !== 0x2a) {
    throw new Error(`VP8 key frame without its start code: ${d.subarray(0, 10).toString('hex')}`);
  }
  return { width: d.readUInt16LE(6) & 0x3fff, height: d.readUInt16LE(8) & 0x3fff };
}

/** Frames and key frames seen on one VP8 track. */
export class Vp8Counter {
  frames = 0;
  keyframes = 0;
  firstKeyframe: (Vp8Keyframe & { at: number }) | undefined;

  push(rtp: RtpPacket): void {
    const key = parseKeyframe(rtp);
    if (key) {
      this.keyframes++;
      this.firstKeyframe ??= { ...key, at: performance.now() };
    }
    if (rtp.header.marker) this.frames++;
  }
}
