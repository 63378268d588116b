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
 * transport-cc is added only where the client negotiated it already (it offered it): with it in
 * the node's re-offer, GStreamer 1.22's webrtcbin (which offers `rtcp-fb transport-cc` but no
 * transport-cc extmap) decoded nothing of the new sections (test/interop-gstreamer.test.ts).
 * Such a client's estimate comes from REMB or receiver-report loss instead.
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
    if (e.uri === TRANSPORT_CC && !byUri.has(e.uri)) continue;
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

function firstFree(taken: ReadonlySet<number>): number | undefined {
  for (let id = 1; id <= 14; id++) if (!taken.has(id)) return id;
  return undefined;
}
