/**
 * The RTP header extensions every peer of this platform negotiates (werift's `headerExtensions`
 * configuration). What the forwarder does with each is in fast/rtp-extensions.ts: mid,
 * abs-send-time and transport-cc are written per hop, the audio level is passed through, rid and
 * repaired-rid name a publisher's encodings (simulcast).
 *
 * transport-cc is negotiated as an extension only, without the `transport-cc` RTCP feedback on
 * any codec: werift then sends no transport feedback to publishers, so a browser publisher keeps
 * its current (receiver-report) rate control instead of waiting for feedback that our estimator
 * does not give yet; towards subscribers the numbers are written, ready for a send-side estimator.
 */
import {
  type RTCRtpHeaderExtensionParameters,
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
    audio: [mid, absSendTime, transportCc, useAudioLevelIndication()],
    video: [mid, absSendTime, transportCc, useSdesRTPStreamId(), useRepairedRtpStreamId()],
  };
}
