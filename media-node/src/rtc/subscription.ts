/**
 * One track forwarded to one subscriber's sender: the forwarder, and the subscriber's keyframe
 * requests and NACKs routed back to the track. Shared by SFU subscriptions (an m-line added by
 * renegotiation) and WHEP view slots (an m-line of the viewer's own offer).
 */
import type { RTCRtpTransceiver } from 'werift';
import type { SubscriberBandwidth } from '../bwe/subscriber-bandwidth.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import type { Forwarding, SubscriberForwarder } from './forwarding.ts';
import type { PublishedTrack } from './published-track.ts';
import { OutboundTrackStats } from './quality/outbound-stats.ts';
import { patchSenderBwe } from './werift-patches.ts';

export interface Subscription {
  track: PublishedTrack;
  transceiver: RTCRtpTransceiver;
  forwarder: SubscriberForwarder;
  /** What the subscriber gets and reports (quality stats). */
  stats: OutboundTrackStats;
  /** Stops forwarding and unhooks the feedback handlers (idempotent through the forwarder). */
  release(): void;
}

export interface AttachOptions {
  forwarding: Forwarding;
  report: ErrorReporter;
  /** Called per packet sent (idle detection). */
  onSent(): void;
  /** The subscribing session's bandwidth estimator (records what is sent, reads feedback). */
  bandwidth?: SubscriberBandwidth | undefined;
}

/** Starts forwarding `track` on `transceiver`'s sender. */
export function attachSubscription(
  track: PublishedTrack,
  transceiver: RTCRtpTransceiver,
  o: AttachOptions,
): Subscription {
  const sender = transceiver.sender;
  patchSenderBwe(sender.senderBWE);
  const bandwidth = o.bandwidth;
  // Both paths: the stock one records through werift's per-send hook, the fast one itself.
  bandwidth?.trackStockSender(sender);
  const forwarder = o.forwarding.create(
    sender,
    o.onSent,
    () => track.extensions,
    bandwidth && ((dtls) => bandwidth.historyFor(dtls)),
  );
  // werift routes the subscriber's RTCP to this sender by media SSRC on both paths.
  const pli = sender.onPictureLossIndication.subscribe(
    guard(o.report, 'pli', () => track.requestKeyframe()),
  );
  // Stock: werift resends from its own history. Fast: werift's history is empty (its sendRtp
  // never ran), so the track's history answers, to this subscriber only (sequence numbers are
  // forwarded unchanged on the fast path: seqOffset 0).
  const nack = sender.onGenericNack.subscribe(
    guard(o.report, 'nack', (feedback: { lost: number[] }) => {
      for (const lost of feedback.lost) {
        // GenericNack.deSerialize adds bitmask offsets without wrapping at 65536.
        const rtp = track.recent(lost & 0xffff);
        if (rtp && !forwarder.retransmit(rtp)) return;
      }
    }),
  );
  const stats = new OutboundTrackStats({
    sender,
    sent: () => forwarder.sent(),
    clockRate: () => track.codec?.clockRate,
    report: o.report,
  });
  track.add(forwarder);
  return {
    track,
    transceiver,
    forwarder,
    stats,
    release() {
      stats.close();
      track.remove(forwarder);
      forwarder.close();
      pli.unSubscribe();
      nack.unSubscribe();
    },
  };
}
