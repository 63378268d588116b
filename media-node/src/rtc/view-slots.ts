/**
 * A WHEP viewer's media. WHEP has no server-initiated renegotiation: the viewer makes one offer
 * and the node can only send on the m-lines of that offer. Each audio and video m-line is a
 * fixed slot: at the offer, slots are filled with the room's (or one participant's) current
 * tracks, so they are in the answer; a slot still free (the viewer came first, or its track was
 * unpublished) takes the next track of its kind and negotiated codec that is published, without
 * renegotiation (the sender's SSRC stays the same; the viewer sees one continuous stream).
 * Tracks beyond the slots are not sent: a viewer that wants two videos offers two video m-lines.
 */
import type { RTCRtpTransceiver } from 'werift';
import type { PublishedTrack } from './published-track.ts';
import type { AcceptedCodec } from './sdp/remote-offer.ts';
import { canReceive, preferenceFor, type TrackCodec } from './sdp/subscription-codec.ts';
import { type AttachOptions, attachSubscription, type Subscription } from './subscription.ts';

export interface ViewSlotsOptions extends AttachOptions {
  /** A participant's session id or device id; undefined: any participant of the room. */
  participant: string | undefined;
  /** The viewer offered this track's kind but not its codec. */
  onUnsupported(track: PublishedTrack): void;
}

interface Slot {
  transceiver: RTCRtpTransceiver;
  sub: Subscription | undefined;
}

export class ViewSlots {
  readonly #o: ViewSlotsOptions;
  readonly #slots: Slot[] = [];
  /** Connected: new bindings forward at once (before, they wait for DTLS). */
  #live = false;

  constructor(o: ViewSlotsOptions) {
    this.#o = o;
  }

  /**
   * Takes the offer's new audio and video m-lines as slots (sending only) and fills them from
   * `tracks`. Call after the offer is applied and before the answer is created: a bound slot's
   * codec preference makes the answer pick the publisher's codec.
   */
  open(
    transceivers: readonly RTCRtpTransceiver[],
    tracks: Iterable<PublishedTrack>,
    receivable: readonly AcceptedCodec[],
  ): void {
    for (const transceiver of transceivers) {
      if (transceiver.kind !== 'audio' && transceiver.kind !== 'video') continue;
      if (this.#slots.some((s) => s.transceiver === transceiver)) continue;
      transceiver.setDirection('sendonly');
      this.#slots.push({ transceiver, sub: undefined });
    }
    for (const track of tracks) this.bind(track, receivable);
  }

  /** Binds `track` to a free slot that fits it; false when it is not wanted or none fits. */
  bind(track: PublishedTrack, receivable: readonly AcceptedCodec[]): boolean {
    if (!this.#wants(track) || this.#slots.some((s) => s.sub?.track === track)) return false;
    const codec = track.codec;
    if (codec && canReceive(receivable, codec) === 'no') {
      this.#o.onUnsupported(track);
      return false;
    }
    const slot = this.#slots.find(
      (s) => !s.sub && s.transceiver.kind === track.kind && fits(s.transceiver, codec),
    );
    if (!slot) return false;
    if (codec && !slot.transceiver.sender.codec) {
      slot.transceiver.setCodecPreferences(preferenceFor(codec));
    }
    slot.sub = attachSubscription(track, slot.transceiver, this.#o);
    if (this.#live) this.#start(slot.sub);
    return true;
  }

  /** The track went away: its slot is free for the next one. */
  /** The subscriptions bound now. */
  *subscriptions(): Generator<Subscription> {
    for (const slot of this.#slots) if (slot.sub) yield slot.sub;
  }

  unbind(trackId: string): void {
    for (const slot of this.#slots) {
      if (slot.sub?.track.id !== trackId) continue;
      slot.sub.release();
      slot.sub = undefined;
    }
  }

  /** The subscription bound to `trackId`, if a slot carries it. */
  subscription(trackId: string): Subscription | undefined {
    return this.#slots.find((s) => s.sub?.track.id === trackId)?.sub;
  }

  /** DTLS is up: start forwarding and ask each publisher for a keyframe. */
  connected(): void {
    this.#live = true;
    for (const slot of this.#slots) if (slot.sub) this.#start(slot.sub);
  }

  close(): void {
    for (const slot of this.#slots) slot.sub?.release();
    this.#slots.length = 0;
  }

  #start(sub: Subscription): void {
    sub.forwarder.activate();
    sub.forwarder.requestKeyframe();
  }

  #wants(track: PublishedTrack): boolean {
    const p = this.#o.participant;
    return p === undefined || p === track.publisherSessionId || p === track.publisherDeviceId;
  }
}

/** A slot already negotiated carries one codec: only a track in that codec fits it. */
function fits(transceiver: RTCRtpTransceiver, codec: TrackCodec | undefined): boolean {
  const negotiated = transceiver.sender.codec;
  if (!negotiated) return true;
  if (!codec) return false;
  return (
    negotiated.mimeType.toLowerCase() === codec.mimeType.toLowerCase() &&
    negotiated.clockRate === codec.clockRate
  );
}
