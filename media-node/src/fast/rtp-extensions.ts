/**
 * RTP header extensions (RFC 8285) as they cross the forwarder. Each session negotiates its own
 * id for each extension URI, so the publisher's ids mean nothing to a subscriber: what a
 * subscriber gets is rebuilt for it.
 *
 * - Hop-by-hop extensions are written fresh for the subscriber's own session: `sdes:mid` (its
 *   mid for the m-line, which BUNDLE demultiplexing uses), `abs-send-time` (our send time) and
 *   `transport-cc` (a sequence number of the subscriber's transport, for issue 16's estimator).
 * - End-to-end extensions are passed through with the id rewritten: `ssrc-audio-level`
 *   (RFC 6464), what receivers show as `getSynchronizationSources().audioLevel`.
 * - Everything else the publisher wrote is dropped: its `rid` / `repaired-rid` name the
 *   publisher's encodings, and its transport-cc numbers belong to the publisher's transport.
 *
 * Works on raw bytes for the fast path (codec-agnostic; no werift objects) and on werift's parsed
 * `{ id, payload }` list for the stock path.
 */

export const EXT_URI = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  repairedRid: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  transportCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
} as const;

/** URIs forwarded end to end (the rest is rewritten per hop or dropped). */
const PASS_THROUGH: readonly string[] = [EXT_URI.audioLevel];

/** One negotiated extension: `a=extmap:<id> <uri>`. */
export interface NegotiatedExtension {
  id: number;
  uri: string;
}

/** What to write for one subscriber of one published track. */
export interface ExtensionRewrite {
  /** Publisher's id -> subscriber's id for pass-through extensions (0: dropped); 256 entries. */
  readonly passThrough: Uint8Array;
  /** Subscriber's ids for the extensions written per hop (0: not negotiated). */
  readonly midId: number;
  readonly mid: Uint8Array;
  readonly absSendTimeId: number;
  readonly transportCcId: number;
}

/**
 * The rewrite from a publisher's negotiated extensions to a subscriber's, or undefined when the
 * subscriber negotiated nothing we would write (then packets go out without an extension block).
 */
export function extensionRewrite(
  publisher: readonly NegotiatedExtension[],
  subscriber: readonly NegotiatedExtension[],
  mid: string | undefined,
): ExtensionRewrite | undefined {
  const idOf = (uri: string) => subscriber.find((e) => e.uri === uri)?.id ?? 0;
  const passThrough = new Uint8Array(256);
  let any = false;
  for (const e of publisher) {
    if (!PASS_THROUGH.includes(e.uri)) continue;
    const to = idOf(e.uri);
    if (validOneByteId(to) && e.id > 0 && e.id < 256) {
      passThrough[e.id] = to;
      any = true;
    }
  }
  const midBytes = Buffer.from(mid ?? '');
  const midId = midBytes.length >= 1 && midBytes.length <= 16 ? idOf(EXT_URI.mid) : 0;
  const rw: ExtensionRewrite = {
    passThrough,
    midId: validOneByteId(midId) ? midId : 0,
    mid: midBytes,
    absSendTimeId: oneByteOrZero(idOf(EXT_URI.absSendTime)),
    transportCcId: oneByteOrZero(idOf(EXT_URI.transportCc)),
  };
  return any || rw.midId || rw.absSendTimeId || rw.transportCcId ? rw : undefined;
}

/**
 * Output is always the one-byte form (RFC 8285 4.2): ids 1-14, elements of 1-16 bytes. A
 * subscriber whose negotiated id for an extension is above 14 does not get that extension.
 */
function validOneByteId(id: number): boolean {
  return id >= 1 && id <= 14;
}

function oneByteOrZero(id: number): number {
  return validOneByteId(id) ? id : 0;
}

/** Largest block this module writes: mid (17) + abs-send-time (4) + twcc (3) + passed (<= 14 x 17). */
export const MAX_EXTENSION_BLOCK = 4 + 17 + 4 + 3 + 14 * 17 + 3;

/**
 * Writes the subscriber's extension block (profile, length, elements, padding) for the RTP packet
 * `src` at `out[at]`; returns its length in bytes, 0 when there is nothing to write (the caller
 * then clears the X bit). `src` is parsed in either form (one-byte 0xBEDE or two-byte 0x100X).
 * `twccSeq` is the subscriber transport's next transport-wide sequence number (called only when
 * negotiated); `nowMs` is wall-clock milliseconds (Date.now()) for abs-send-time.
 */
export function writeExtensionBlock(
  src: Uint8Array,
  srcLen: number,
  rw: ExtensionRewrite,
  out: Uint8Array,
  at: number,
  nowMs: number,
  twccSeq: () => number,
): number {
  let w = at + 4;
  if (rw.midId) {
    out[w++] = (rw.midId << 4) | (rw.mid.length - 1);
    out.set(rw.mid, w);
    w += rw.mid.length;
  }
  if (rw.absSendTimeId) {
    // 6.18 fixed-point seconds, 24 bits (abs-send-time spec): wraps every 64 s.
    const v = Math.floor(((nowMs / 1000) % 64) * 262_144) & 0xffffff;
    out[w++] = (rw.absSendTimeId << 4) | 2;
    out[w++] = v >>> 16;
    out[w++] = v >>> 8;
    out[w++] = v;
  }
  if (rw.transportCcId) {
    const seq = twccSeq() & 0xffff;
    out[w++] = (rw.transportCcId << 4) | 1;
    out[w++] = seq >>> 8;
    out[w++] = seq;
  }
  w = copyPassThrough(src, srcLen, rw.passThrough, out, w);
  if (w === at + 4) return 0;
  while ((w - at) & 3) out[w++] = 0;
  out[at] = 0xbe;
  out[at + 1] = 0xde;
  const words = (w - at - 4) >>> 2;
  out[at + 2] = words >>> 8;
  out[at + 3] = words;
  return w - at;
}

/** Appends `src`'s pass-through elements to `out[w]` with their new ids; returns the new end. */
function copyPassThrough(
  src: Uint8Array,
  srcLen: number,
  map: Uint8Array,
  out: Uint8Array,
  w: number,
): number {
  if (srcLen < 12 || !(src[0]! & 0x10)) return w;
  const start = 12 + 4 * (src[0]! & 0x0f);
  if (srcLen < start + 4) return w;
  const profile = (src[start]! << 8) | src[start + 1]!;
  const end = start + 4 + 4 * ((src[start + 2]! << 8) | src[start + 3]!);
  if (end > srcLen) return w;
  const twoByte = (profile & 0xfff0) === 0x1000;
  if (profile !== 0xbede && !twoByte) return w;
  let i = start + 4;
  while (i < end) {
    const b = src[i]!;
    if (b === 0) {
      i++; // padding
      continue;
    }
    let id: number;
    let len: number;
    if (twoByte) {
      if (i + 1 >= end) break;
      id = b;
      len = src[i + 1]!;
      i += 2;
    } else {
      id = b >> 4;
      if (id === 15) break; // reserved: stop parsing (RFC 8285 4.2)
      len = (b & 0x0f) + 1;
      i += 1;
    }
    if (i + len > end) break;
    const to = map[id]!;
    if (to && len >= 1 && len <= 16) {
      out[w++] = (to << 4) | (len - 1);
      out.set(src.subarray(i, i + len), w);
      w += len;
    }
    i += len;
  }
  return w;
}

/** The stock path's list: `extensions` (werift's parsed form) with pass-through ids rewritten. */
export function passThroughList(
  extensions: readonly { id: number; payload: Buffer }[],
  rw: ExtensionRewrite | undefined,
): { id: number; payload: Buffer }[] {
  const out: { id: number; payload: Buffer }[] = [];
  if (!rw) return out;
  for (const e of extensions) {
    const to = rw.passThrough[e.id] ?? 0;
    if (to) out.push({ id: to, payload: e.payload });
  }
  return out;
}

/**
 * The RFC 6464 level of a packet's `ssrc-audio-level` element (0 = loudest .. 127 = silence,
 * in -dBov) from werift's parsed list, or undefined when absent.
 */
export function audioLevelOf(
  extensions: readonly { id: number; payload: Buffer }[],
  id: number,
): number | undefined {
  if (!id) return undefined;
  for (const e of extensions) if (e.id === id && e.payload.length >= 1) return e.payload[0]! & 0x7f;
  return undefined;
}
