/** Shared by the SRTP tests: both backends' raw ciphers and hex helpers. */
import { nativeSrtpAvailable, type SrtpBackend } from './srtp.ts';
import { JsSrtpCipher } from './srtp-js.ts';
import { loadSrtpAddon, NativeSrtpCipher } from './srtp-native.ts';
import type { SrtpCipher, SrtpSessionKeys } from './srtp-types.ts';

/** The backends to run every test against: the addon must be among them wherever it was built. */
export const BACKENDS: SrtpBackend[] = nativeSrtpAvailable() ? ['native', 'js'] : ['js'];

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

export function cipherFor(backend: SrtpBackend, keys: SrtpSessionKeys): SrtpCipher {
  return backend === 'native'
    ? new NativeSrtpCipher(loadSrtpAddon(), keys)
    : new JsSrtpCipher(keys);
}

/** A plain RTP packet: version 2, optional CSRCs and a one-byte-header extension. */
export function rtpPacket(opts: {
  seq: number;
  ssrc: number;
  payload: Uint8Array;
  ts?: number;
  pt?: number;
  csrcs?: number;
  extWords?: number;
}): Buffer {
  const csrcs = opts.csrcs ?? 0;
  const extWords = opts.extWords ?? 0;
  const ext = extWords ? 4 + 4 * extWords : 0;
  const h = 12 + 4 * csrcs + ext;
  const p = Buffer.alloc(h + opts.payload.length);
  p[0] = 0x80 | (ext ? 0x10 : 0) | csrcs;
  p[1] = opts.pt ?? 96;
  p.writeUInt16BE(opts.seq, 2);
  p.writeUInt32BE(opts.ts ?? 0x1234, 4);
  p.writeUInt32BE(opts.ssrc >>> 0, 8);
  for (let i = 0; i < csrcs; i++) p.writeUInt32BE(0x1000 + i, 12 + 4 * i);
  if (ext) {
    const at = 12 + 4 * csrcs;
    p.writeUInt16BE(0xbede, at);
    p.writeUInt16BE(extWords, at + 2);
    p.fill(0x22, at + 4, at + ext);
  }
  p.set(opts.payload, h);
  return p;
}
