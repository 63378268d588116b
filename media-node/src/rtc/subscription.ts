/**
 * One track forwarded to one subscriber's sender: the forwarder, and the subscriber's keyframe
 * requests and NACKs routed back to the track. Shared by SFU subscriptions (an m-line added by
 * renegotiation) and WHEP view slots (an m-line of the viewer's own offer).
 */
import type { RTCRtpTransceiver } from 'werift';
import type { SubscriptionView } from '../../../shared/api.ts';
import type { SubscriberBandwidth } from '../bwe/subscriber-bandwidth.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import type { Forwarding, SubscriberForwarder } from './forwarding.ts';
import {
  effectiveTarget,
  type LayerRid,
  type SubscriberChoice,
  type TargetLayer,
} from './layers.ts';
import type { PublishedTrack } from './published-track.ts';
import { OutboundTrackStats } from './quality/outbound-stats.ts';
import { patchSenderBwe } from './werift-patches.ts';

export interface Subscription {
  track: PublishedTrack;
  transceiver: RTCRtpTransceiver;
  forwarder: SubscriberForwarder;
  /** What the subscriber gets and reports (quality stats). */
  stats: OutboundTrackStats;
  /** The subscriber's own cap or pause (default: the highest layer, not paused). */
  readonly choice: SubscriberChoice;
  /** The bandwidth allocator's target (default: the highest layer). */
  allocated: TargetLayer;
  /** Changes the subscriber's choice; the forwarder follows from its next packet. */
  choose(change: Partial<SubscriberChoice>): void;
  /** Sets the allocator's target; the forwarder follows from its next packet. */
  allocate(target: TargetLayer): void;
  /** Stops forwarding and unhooks the feedback handlers (idempotent through the forwarder). */
  release(): void;
}

/** Highest layer, not paused: what a subscription starts with. */
const TOP: LayerRid = 'f';

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
    track,
    bandwidth && ((dtls) => bandwidth.historyFor(dtls)),
  );
  // werift routes the subscriber's RTCP to this sender by media SSRC on both paths.
  const pli = sender.onPictureLossIndication.subscribe(
    guard(o.report, 'pli', () => forwarder.requestKeyframe()),
  );
  // Stock: werift resends from its own history. Fast: werift's history is empty (its sendRtp
  // never ran), so the track's history answers, to this subscriber only: the history of the layer
  // it gets now, under the offsets of that layer (a packet of a layer before a switch is not
  // found there; the keyframe that started this layer is what the subscriber needs).
  const nack = sender.onGenericNack.subscribe(
    guard(o.report, 'nack', (feedback: { lost: number[] }) => {
      const layer = forwarder.layer;
      if (layer < 0) return;
      for (const lost of feedback.lost) {
        // GenericNack.deSerialize adds bitmask offsets without wrapping at 65536.
        const rtp = track.recent(forwarder.sourceSeq(lost & 0xffff), layer);
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
  const sub: Subscription = {
    track,
    transceiver,
    forwarder,
    stats,
    choice: { maxLayer: TOP, paused: false },
    allocated: TOP,
    choose(change) {
      Object.assign(sub.choice, change);
      forwarder.setTarget(effectiveTarget(sub.choice, sub.allocated));
    },
    allocate(target) {
      sub.allocated = target;
      forwarder.setTarget(effectiveTarget(sub.choice, target));
    },
    release() {
      stats.close();
      track.remove(forwarder);
      forwarder.close();
      pli.unSubscribe();
      nack.unSubscribe();
    },
  };
  return sub;
}

/** The subscription as the API shows it (`PUT .../subscriptions/:trackId`'s reply). */
export function subscriptionView(sub: Subscription): SubscriptionView {
  const track = sub.track;
  const layer = sub.forwarder.layer;
  return {
    trackId: track.id,
    kind: track.kind,
    rids: track.rids,
    maxLayer: sub.choice.maxLayer,
    paused: sub.choice.paused,
    layer: layer < 0 ? null : (track.layers[layer]?.rid ?? ''),
  };
}
