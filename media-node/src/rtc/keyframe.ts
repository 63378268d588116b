/**
 * Whether an RTP packet starts a keyframe, per codec: the one codec-aware decision of the
 * forwarder (a subscriber that joins or asks with a PLI can decode from the next keyframe on;
 * issue 16's layer switches wait for one). Reads only the payload descriptor and the first
 * bytes of the codec payload; never throws on short or malformed input (answers false).
 */

export type KeyframeCodec = 'vp8' | 'vp9' | 'h264' | 'av1';

/** The codec name of a MIME type (`video/VP8` -> `vp8`), undefined when not a video codec we parse. */
export function keyframeCodec(mimeType: string | undefined): KeyframeCodec | undefined {
  const name = mimeType?.toLowerCase().split('/')[1];
  return name === 'vp8' || name === 'vp9' || name === 'h264' || name === 'av1' ? name : undefined;
}

/** True when `payload` (an RTP payload of `codec`) is the first packet of a keyframe. */
export function isKeyframeStart(codec: KeyframeCodec, payload: Uint8Array): boolean {
  switch (codec) {
    case 'vp8':
      return vp8(payload);
    case 'vp9':
      return vp9(payload);
    case 'h264':
      return h264(payload);
    case 'av1':
      return av1(payload);
    default: {
      const never: never = codec;
      return never;
    }
  }
}

/**
 * VP8 (RFC 7741 4.2, 4.3): the packet starts partition 0 (S=1, PID=0) and the VP8 payload
 * header's P bit (inverse key frame flag) is 0.
 */
function vp8(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  if (!(b0 & 0x10) || (b0 & 0x07) !== 0) return false;
  let i = 1;
  if (b0 & 0x80) {
    if (p.length < 2) return false;
    const x = p[1]!;
    i = 2;
    if (x & 0x80) i += p[i] !== undefined && p[i]! & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) i += 1; // TL0PICIDX
    if (x & 0x30) i += 1; // TID/Y/KEYIDX
  }
  return i < p.length && (p[i]! & 0x01) === 0;
}

/**
 * VP9 (RFC 9628 4.2): a frame start (B=1) that is not inter-picture predicted (P=0), on the
 * base spatial layer (SID 0, when the layer indices are present).
 */
function vp9(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  if (b0 & 0x40 || !(b0 & 0x08)) return false;
  if (!(b0 & 0x20)) return true; // no layer indices: a single spatial layer
  let i = 1;
  if (b0 & 0x80) i += p[1] !== undefined && p[1]! & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
  return i < p.length && ((p[i]! >> 1) & 0x07) === 0;
}

/** H.264 NAL unit types that begin a keyframe: IDR slice and sequence parameter set. */
const NAL_IDR = 5;
const NAL_SPS = 7;
const STAP_A = 24;
const FU_A = 28;

/**
 * H.264 (RFC 6184 5.6-5.8): an IDR slice or an SPS, alone, inside a STAP-A aggregate, or the
 * first fragment (S=1) of an FU-A. Chromium sends SPS + PPS in a STAP-A, then the IDR in FU-As.
 */
function h264(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const type = p[0]! & 0x1f;
  if (type === NAL_IDR || type === NAL_SPS) return true;
  if (type === FU_A) {
    if (p.length < 2) return false;
    const fu = p[1]!;
    const inner = fu & 0x1f;
    return (fu & 0x80) !== 0 && (inner === NAL_IDR || inner === NAL_SPS);
  }
  if (type === STAP_A) {
    let i = 1;
    while (i + 2 < p.length) {
      const size = (p[i]! << 8) | p[i + 1]!;
      const nal = p[i + 2]! & 0x1f;
      if (nal === NAL_IDR || nal === NAL_SPS) return true;
      if (size === 0) return false;
      i += 2 + size;
    }
  }
  return false;
}

const OBU_SEQUENCE_HEADER = 1;

/**
 * AV1 (AV1 RTP payload format 4.4): the aggregation header's N bit marks the first packet of a
 * new coded video sequence, which starts with a keyframe. Failing that, a packet whose first OBU
 * starts here (Z=0) and is a sequence header is taken as one too.
 */
function av1(p: Uint8Array): boolean {
  if (p.length < 2) return false;
  const agg = p[0]!;
  if (agg & 0x08) return true;
  if (agg & 0x80) return false; // the first OBU continues one from the previous packet
  const w = (agg >> 4) & 0x03;
  let i = 1;
  if (w !== 1) {
    // The first OBU element has a LEB128 length unless it is the only one (W=1).
    while (i < p.length && p[i]! & 0x80) i++;
    i++;
  }
  return i < p.length && ((p[i]! >> 3) & 0x0f) === OBU_SEQUENCE_HEADER;
}
