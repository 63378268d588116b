/**
 * The RTP header extensions every peer of this platform negotiates (werift's `headerExtensions`
 * configuration). What the forwarder does with each is in fast/rtp-extensions.ts: mid,
 * abs-send-time and transport-cc are written per hop, the audio level is passed through, rid and
 * repaired-rid name a publisher's encodings (simulcast).
 *
 * transport-cc (with `a=rtcp-fb:* transport-cc`, sdp/codec-table.ts) gives each subscriber's
 * bandwidth estimator (media-node/src/bwe/) per-packet arrival times. In an answer werift keeps
 * only what the client offered; a section the node adds by renegotiation carries it only when
 * the client's own sections negotiated it (`extensionsForNewSection`).
 */
import {
  RTCRtpHeaderExtensionParameters,
  useAbsSendTime,
  useAudioLevelIndication,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  useTransportWideCC,
} from 'werift';

/**
 * Fresh extension objects per configuration. werift numbers the audio list then the video list
 * from 1 and writes the id into each object, so the extensions both kinds share are the same
 * objects: each URI gets one id in every m-section (RFC 8843 9.2 forbids one id for two URIs
 * across a BUNDLE group; one URI under one id is simply clearer to read).
 */
export function weriftHeaderExtensions(): {
  audio: RTCRtpHeaderExtensionParameters[];
  video: RTCRtpHeaderExtensionParameters[];
} {
  const mid = useSdesMid();
  const absSendTime = useAbsSendTime();
  const transportCc = useTransportWideCC();
  return {
    audio: [mid, absSendTime, useAudioLevelIndication(), transportCc],
    video: [mid, absSendTime, useSdesRTPStreamId(), useRepairedRtpStreamId(), transportCc],
  };
}

const TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** One `a=extmap` of a section: id and URI. */
export interface ExtensionId {
  id: number;
  uri: string;
}

/**
 * The ids for a section the node adds in a renegotiation offer. werift numbers a new section's
 * extensions from its configuration, but the client's own sections (from its offer) carry the
 * client's ids, and in one BUNDLE group an id must mean one URI (RFC 8843 9.2): Chromium refused
 * our re-offer when its `4` (mid) met our `4` (audio level), and the new tracks never arrived.
 * So: a URI the session already negotiated keeps that id; another URI gets its configured id if
 * free, else the lowest free one-byte id (1-14); none free: the extension is left out.
 *
 */
export function extensionsForNewSection(
  wanted: readonly ExtensionId[],
  negotiated: readonly ExtensionId[],
): RTCRtpHeaderExtensionParameters[] {
  const byUri = new Map<string, number>();
  const taken = new Set<number>();
  for (const e of negotiated) {
    if (!byUri.has(e.uri)) byUri.set(e.uri, e.id);
    taken.add(e.id);
  }
  const out: RTCRtpHeaderExtensionParameters[] = [];
  for (const e of wanted) {
    let id = byUri.get(e.uri);
    if (id === undefined) {
      id = !taken.has(e.id) ? e.id : firstFree(taken);
      if (id === undefined) continue;
      taken.add(id);
      byUri.set(e.uri, id);
    }
    out.push(new RTCRtpHeaderExtensionParameters({ id, uri: e.uri }));
  }
  return out;
}

/**
 * Whether a client's offer takes transport-cc: true when a media section offers its extmap,
 * false when media sections are offered without it, undefined for an offer with no audio or
 * video section (a receive-only client that learns our sections from our offer).
 *
 * The node's re-offers carry transport-cc only when this is not false: with it in a re-offer,
 * GStreamer 1.22's webrtcbin (which offers `rtcp-fb transport-cc` but no transport-cc extmap)
 * decoded nothing of the new sections (test/interop-gstreamer.test.ts). Such a client's
 * estimate comes from REMB or receiver-report loss instead.
 */
export function offersTransportCc(sdp: string): boolean | undefined {
  if (!/^m=(audio|video) /m.test(sdp)) return undefined;
  return sdp
    .split(/\r?\n/)
    .some(
      (line) => /^a=extmap:\d+(\/\w+)? /.test(line) && line.trim().endsWith(` ${TRANSPORT_CC}`),
    );
}

/** The part of werift's `RTCRtpTransceiver` `stripTransportCcFromReceived` reads and edits. */
export interface OfferedSection {
  /** What the node may do on the section, from the client's offer (`recvonly`: client sends). */
  offerDirection: string;
  headerExtensions: ExtensionId[];
}

/**
 * Takes transport-cc out of the answer's sections on which the client sends (the node receives:
 * `recvonly` / `sendrecv` for the node); returns the client's id for it, if it offered one.
 *
 * The node estimates downlinks only. werift would answer a publisher's transport-cc with its own
 * receiver-side feedback, which is malformed (werift 0.25.2 writes a TransportWideCC length that
 * leaves its last bytes outside the packet: werift itself drops them as malformed) and whose
 * reference times jump by up to 64 ms; a Chromium publisher that negotiated transport-cc but
 * gets no usable feedback can throttle its encoder (congestion-window pushback). Without it a
 * publisher estimates from receiver reports, as before transport-cc was negotiated at all.
 */
export function stripTransportCcFromReceived(
  sections: readonly OfferedSection[],
): number | undefined {
  let clientId: number | undefined;
  for (const s of sections) {
    if (s.offerDirection !== 'recvonly' && s.offerDirection !== 'sendrecv') continue;
    const tcc = s.headerExtensions.find((e) => e.uri === TRANSPORT_CC);
    if (!tcc) continue;
    clientId ??= tcc.id;
    s.headerExtensions = s.headerExtensions.filter((e) => e !== tcc);
  }
  return clientId;
}

/**
 * `sdp` without `a=rtcp-fb:<pt> transport-cc` lines: the node's re-offer to a client that does
 * not take transport-cc (werift writes the feedback from its codec configuration whatever the
 * extensions say, and webrtcbin's failure came with both in the re-offer).
 */
export function withoutTransportCcFeedback(sdp: string): string {
  return sdp.replace(/^a=rtcp-fb:\S+ transport-cc\r?\n/gm, '');
}

/** `wanted` without transport-cc when the client's offer showed it does not take it. */
export function withoutRefusedTransportCc<T extends ExtensionId>(
  wanted: readonly T[],
  offered: boolean | undefined,
): T[] {
  return offered === false ? wanted.filter((e) => e.uri !== TRANSPORT_CC) : [...wanted];
}

function firstFree(taken: ReadonlySet<number>): number | undefined {
  for (let id = 1; id <= 14; id++) if (!taken.has(id)) return id;
  return undefined;
}
