/**
 * The codecs a media node forwards, in the order it prefers them, and the rule that decides
 * whether one offered format is one of them. The node never transcodes: a format is accepted
 * only if every subscriber that negotiates the same codec can decode what the publisher sends,
 * which for H.264 means packetization-mode 1 (FU-A, what every browser sends) and the
 * constrained-baseline or main profile (what hardware decoders, Safari included, take).
 */
import { RTCRtpCodecParameters, useNACK, usePLI, useREMB, useTWCC } from 'werift';

export type MediaKind = 'audio' | 'video';

interface CodecSpec {
  kind: MediaKind;
  /** Encoding name as written in `a=rtpmap` (werift keeps the case: Chromium needs `H264`). */
  name: string;
  clockRate: number;
  channels?: number;
  payloadType: number;
  fmtp?: string;
  /**
   * Payload type of its RTX (RFC 4588) format, video only (Chromium's numbers). A subscriber
   * that negotiates it gets NACKed packets on its RTX SSRC (fast path: fast-forwarder.ts
   * `resend`; stock: werift's sender); one that does not gets them again on the media SSRC.
   */
  rtx?: number;
}

/**
 * Preference order: the publisher sends the first codec of our answer that it offered, so VP8
 * (every browser, cheapest keyframe detection) leads; H.264 next (Safari, iOS hardware).
 * Payload types are Chromium's, which keeps answers to Chromium readable.
 */
const TABLE: readonly CodecSpec[] = [
  {
    kind: 'audio',
    name: 'opus',
    clockRate: 48_000,
    channels: 2,
    payloadType: 111,
    fmtp: 'minptime=10;useinbandfec=1',
  },
  { kind: 'audio', name: 'PCMU', clockRate: 8_000, channels: 1, payloadType: 0 },
  { kind: 'audio', name: 'PCMA', clockRate: 8_000, channels: 1, payloadType: 8 },
  { kind: 'video', name: 'VP8', clockRate: 90_000, payloadType: 96, rtx: 97 },
  {
    kind: 'video',
    name: 'H264',
    clockRate: 90_000,
    payloadType: 108,
    rtx: 109,
    fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  },
  {
    kind: 'video',
    name: 'H264',
    clockRate: 90_000,
    payloadType: 116,
    rtx: 117,
    fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  },
  {
    kind: 'video',
    name: 'VP9',
    clockRate: 90_000,
    payloadType: 98,
    rtx: 99,
    fmtp: 'profile-id=0',
  },
  { kind: 'video', name: 'AV1', clockRate: 90_000, payloadType: 45, rtx: 46 },
];

function videoFeedback(): RTCRtpCodecParameters['rtcpFeedback'] {
  return [useNACK(), usePLI(), useREMB(), useTWCC(), { type: 'ccm', parameter: 'fir' }];
}

/** The werift `codecs` configuration: every supported codec, RTX after each video codec. */
export function weriftCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  const audio: RTCRtpCodecParameters[] = [];
  const video: RTCRtpCodecParameters[] = [];
  for (const c of TABLE) {
    const codec = new RTCRtpCodecParameters({
      mimeType: `${c.kind}/${c.name}`,
      clockRate: c.clockRate,
      payloadType: c.payloadType,
      // transport-cc on audio too: the estimator counts every packet of the transport.
      rtcpFeedback: c.kind === 'video' ? videoFeedback() : [useTWCC()],
      ...(c.channels === undefined ? {} : { channels: c.channels }),
      ...(c.fmtp === undefined ? {} : { parameters: c.fmtp }),
    });
    if (c.kind === 'audio') {
      audio.push(codec);
      continue;
    }
    video.push(codec);
    if (c.rtx !== undefined) {
      video.push(
        new RTCRtpCodecParameters({
          mimeType: 'video/rtx',
          clockRate: c.clockRate,
          payloadType: c.rtx,
          parameters: `apt=${c.payloadType}`,
        }),
      );
    }
  }
  return { audio, video };
}

/** One format of an m-section: `a=rtpmap` plus its `a=fmtp` parameters. */
export interface OfferedFormat {
  payloadType: number;
  /** As written in the rtpmap (case kept). */
  name: string;
  clockRate: number;
  fmtp: Map<string, string>;
}

/** Names of formats that only accompany a primary codec (never a reason to accept a section). */
const AUXILIARY = new Set(['rtx', 'red', 'ulpfec', 'flexfec-03', 'cn', 'telephone-event']);

export function isAuxiliary(name: string): boolean {
  return AUXILIARY.has(name.toLowerCase());
}

/**
 * Whether the node forwards `format` in a `kind` section: '' when it does, otherwise why not
 * (for logs and the `unsupported_codecs` error). Auxiliary formats answer '' only through
 * their primary (remote-offer.ts).
 */
export function unsupportedBecause(kind: MediaKind, format: OfferedFormat): string {
  const name = format.name.toLowerCase();
  const spec = TABLE.find(
    (c) => c.kind === kind && c.name.toLowerCase() === name && c.clockRate === format.clockRate,
  );
  if (!spec) return `${kind}/${format.name} is not forwarded by this node`;
  if (name === 'h264') {
    if (format.fmtp.get('packetization-mode') !== '1') {
      return 'H264 needs packetization-mode=1';
    }
    const profile = (format.fmtp.get('profile-level-id') ?? '42001f').slice(0, 2).toLowerCase();
    // 42 = (constrained) baseline, 4d = main; high (64) and others need decoders we cannot assume.
    if (profile !== '42' && profile !== '4d') {
      return `H264 profile-level-id ${format.fmtp.get('profile-level-id')} is not baseline or main`;
    }
  }
  if (name === 'vp9' && (format.fmtp.get('profile-id') ?? '0') !== '0') {
    return 'VP9 profile-id other than 0';
  }
  if (name === 'av1' && (format.fmtp.get('profile') ?? '0') !== '0') {
    return 'AV1 profile other than 0 (main)';
  }
  return '';
}

/** The codec names the node forwards, for error messages: `audio/opus`, `video/H264`, ... */
export function supportedCodecNames(): string[] {
  return [...new Set(TABLE.map((c) => `${c.kind}/${c.name}`))];
}
