/**
 * A track one participant publishes: receives its RTP once and fans it out to the
 * subscribers' forwarders; relays their keyframe requests to the publisher.
 *
 * A simulcast track has up to three layers (track-layer.ts), one per `rid`, each received on its
 * own werift track; every forwarder sees every layer's packets with the layer's index and picks
 * one (layers.ts). Which layers are live (received within `LAYER_IDLE_MS`) is `activeMask`.
 */
import type { MediaStreamTrack, RTCRtpReceiver, RtpPacket } from 'werift';
import type { TrackInfo } from '../../../shared/api.ts';
import type { NegotiatedExtension } from '../fast/rtp-extensions.ts';
import type { RtpCounters } from '../ops/metrics.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import { AudioLevelMeter, audioLevelId } from './audio-level.ts';
import type { Forwarder } from './forwarder.ts';
import { type KeyframeCodec, keyframeCodec } from './keyframe.ts';
import { MAX_LAYERS, ridRanks } from './layers.ts';
import { InboundTrackStats } from './quality/inbound-stats.ts';
import { TrackLayer } from './track-layer.ts';

/**
 * A simulcast layer with no packet for this long counts as stopped (the publisher's encoder
 * dropped it for bandwidth or CPU, or dynacast paused it): subscribers move to another one.
 */
export const LAYER_IDLE_MS = 1_500;
const LAYER_CHECK_MS = 500;
/**
 * Dynacast: a layer nobody needs any more is paused at the publisher this long after (a viewer
 * toggling a tile back and forth does not make the encoder stop and restart); a layer someone
 * needs is asked for at once.
 */
export const DYNACAST_PAUSE_MS = 2_000;

export interface PublishedTrackOptions {
  id: string;
  publisherSessionId: string;
  publisherDeviceId: string;
  /** The werift track of the first (or only) encoding. */
  track: MediaStreamTrack;
  receiver: RTCRtpReceiver;
  /** The publisher's negotiated header extensions (its transceiver's, with its ids). */
  extensions(): readonly NegotiatedExtension[];
  counters: RtpCounters;
  /** Called per received packet (idle detection). */
  onReceived(): void;
  report: ErrorReporter;
}

export class PublishedTrack {
  readonly id: string;
  readonly kind: 'audio' | 'video';
  readonly publisherSessionId: string;
  readonly publisherDeviceId: string;
  /** Layers, lowest quality first; one for a track without simulcast. */
  readonly layers: TrackLayer[] = [];
  /** Quality rank per layer (layers.ts `ridRanks`), ascending, parallel to `layers`. */
  readonly ranks: number[] = [];
  /** Bit i set while layer i receives (always 1 without simulcast). */
  activeMask = 1;
  /**
   * How the node receives this track (quality stats, sampled on the stats timer): its highest
   * layer's SSRC for a simulcast track.
   */
  readonly inbound: InboundTrackStats;
  /** The publisher's audio levels since the room's last speaker tick (audio tracks only). */
  readonly level: AudioLevelMeter | undefined;
  /** The audio level id and the extension list it was read from (renegotiation may change it). */
  #levelId = { id: 0, from: undefined as unknown };
  readonly #tracks: MediaStreamTrack[] = [];
  readonly #receiver: RTCRtpReceiver;
  readonly #extensions: () => readonly NegotiatedExtension[];
  readonly #forwarders = new Set<Forwarder>();
  readonly #o: PublishedTrackOptions;
  readonly #offs: Array<() => void> = [];
  #keyframeCodec: KeyframeCodec | undefined;
  #layerTimer: NodeJS.Timeout | undefined;
  /**
   * Dynacast (simulcast only): told which layers (rids, lowest first) the publisher should send;
   * the session turns it into a `layers` event. Bit mask of the last told (all: as published).
   */
  onLayers: ((active: string[]) => void) | undefined;
  #announced = -1;
  #dynacastTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: PublishedTrackOptions) {
    this.#o = o;
    this.id = o.id;
    this.kind = o.track.kind === 'video' ? 'video' : 'audio';
    this.publisherSessionId = o.publisherSessionId;
    this.publisherDeviceId = o.publisherDeviceId;
    this.#receiver = o.receiver;
    this.#extensions = o.extensions;
    this.inbound = new InboundTrackStats(o.receiver, () => this.layers.at(-1)?.ssrc);
    this.level = this.kind === 'audio' ? new AudioLevelMeter() : undefined;
    this.addLayer(o.track);
  }

  /**
   * Adds the werift track of another simulcast encoding (its `rid` set). Called before anyone
   * subscribes (session.ts defers the announcement until every rid of the section is added);
   * layers past `MAX_LAYERS` are ignored.
   */
  addLayer(track: MediaStreamTrack): void {
    if (this.#closed || this.layers.length >= MAX_LAYERS) return;
    const rid = track.rid || undefined;
    const layer = new TrackLayer({
      rid,
      ssrc: track.ssrc,
      receiver: this.#receiver,
      report: this.#o.report,
    });
    const entries = this.layers.map((l, i) => ({ l, t: this.#tracks[i] as MediaStreamTrack }));
    entries.push({ l: layer, t: track });
    // Lowest quality first: a layer's index is its order of quality.
    const ranks = ridRanks(entries.map((e) => e.l.rid ?? ''));
    const order = entries.map((e, i) => ({ ...e, r: ranks[i] ?? i })).sort((a, b) => a.r - b.r);
    this.layers.length = 0;
    this.#tracks.length = 0;
    this.ranks.length = 0;
    for (const off of this.#offs.splice(0)) off();
    for (const [i, e] of order.entries()) {
      this.layers.push(e.l);
      this.#tracks.push(e.t);
      this.ranks.push(e.r);
      this.#listen(e.t, e.l, i);
    }
    if (this.layers.length > 1) {
      this.activeMask = 0;
      this.#layerTimer ??= setInterval(() => this.#checkLayers(), LAYER_CHECK_MS).unref();
    }
  }

  /** Whether the publisher sends this track as simulcast (more than one layer). */
  get simulcast(): boolean {
    return this.layers.length > 1;
  }

  /** The rids of the layers, lowest first (empty without simulcast). */
  get rids(): string[] {
    return this.simulcast ? this.layers.map((l) => l.rid ?? '') : [];
  }

  #listen(track: MediaStreamTrack, layer: TrackLayer, index: number): void {
    const counters = this.#o.counters;
    const onReceived = this.#o.onReceived;
    const forwarders = this.#forwarders;
    const bit = 1 << index;
    const video = this.kind === 'video';
    const level = this.level;
    const { unSubscribe } = track.onReceiveRtp.subscribe(
      guard(this.#o.report, 'receive_rtp', (rtp: RtpPacket) => {
        counters.packetsIn++;
        counters.bytesIn += rtp.payload.length;
        onReceived();
        const now = performance.now();
        if (!layer.accept(rtp, now)) return;
        if ((this.activeMask & bit) === 0) this.activeMask |= bit;
        let keyframe = true;
        if (video) {
          this.#keyframeCodec ??= keyframeCodec(track.codec?.mimeType);
          keyframe = layer.watchKeyframe(this.#keyframeCodec, rtp.payload, now);
        } else if (level) {
          const id = this.#audioLevelId();
          if (id) level.add(rtp.header.extensions, id);
        }
        // Header extensions stay: each forwarder rewrites them for its subscriber's ids.
        for (const forwarder of forwarders) forwarder.forward(rtp, index, keyframe, now);
      }),
    );
    this.#offs.push(unSubscribe);
  }

  /** Layers that stopped receiving leave `activeMask` (subscribers fall back to another). */
  #checkLayers(): void {
    const now = performance.now();
    let mask = 0;
    this.layers.forEach((l, i) => {
      if (l.lastAt >= 0 && now - l.lastAt < LAYER_IDLE_MS) mask |= 1 << i;
    });
    if (mask !== this.activeMask) this.activeMask = mask;
  }

  /** The codec the publisher negotiated first (what it sends), undefined before negotiation. */
  get codec(): { mimeType: string; clockRate: number } | undefined {
    return this.#tracks[0]?.codec;
  }

  /** The id the publisher's packets carry the audio level under (0: not negotiated). */
  #audioLevelId(): number {
    const list = this.#extensions();
    const cached = this.#levelId;
    if (cached.from !== list) this.#levelId = { id: audioLevelId(list), from: list };
    return this.#levelId.id;
  }

  /** The publisher's negotiated header extensions (ids as its packets carry them). */
  get extensions(): readonly NegotiatedExtension[] {
    return this.#extensions();
  }

  get info(): TrackInfo {
    return { trackId: this.id, kind: this.kind };
  }

  get subscriberCount(): number {
    return this.#forwarders.size;
  }

  /** Packets from the publisher dropped as duplicates of one already forwarded (all layers). */
  get duplicatesDropped(): number {
    return this.layers.reduce((n, l) => n + l.duplicatesDropped, 0);
  }

  /** Keyframes received from the publisher (first packets, all layers). */
  get keyframes(): number {
    return this.layers.reduce((n, l) => n + l.keyframes, 0);
  }

  /** The packet of `layer` with publisher sequence number `seq`, if still in the history. */
  recent(seq: number, layer = 0): RtpPacket | undefined {
    return this.layers[layer]?.recent(seq);
  }

  add(forwarder: Forwarder): void {
    if (this.#closed) return;
    this.#forwarders.add(forwarder);
    this.targetsChanged();
  }

  remove(forwarder: Forwarder): void {
    if (this.#forwarders.delete(forwarder)) this.targetsChanged();
  }

  /**
   * Dynacast: the publisher sends every layer up to the highest one a forwarder targets (a
   * paused forwarder targets none); the layers above it are paused. Layers below stay on even
   * when nobody receives them: they are the fallback when the publisher's own uplink drops a
   * higher one (it stops f when its bandwidth estimate falls), and pausing them too would leave
   * such a subscriber nothing to fall back to. A layer more is announced at once, a layer less
   * after `DYNACAST_PAUSE_MS` if still unneeded.
   */
  targetsChanged(): void {
    if (this.#closed || !this.simulcast || !this.onLayers) return;
    if (this.#announced < 0) this.#announced = (1 << this.layers.length) - 1;
    const needed = this.#needed();
    if ((needed & ~this.#announced) !== 0) this.#announce(this.#announced | needed);
    if (needed === this.#announced) {
      clearTimeout(this.#dynacastTimer);
      this.#dynacastTimer = undefined;
      return;
    }
    this.#dynacastTimer ??= setTimeout(() => {
      this.#dynacastTimer = undefined;
      const now = this.#needed();
      if (!this.#closed && now !== this.#announced) this.#announce(now);
    }, DYNACAST_PAUSE_MS);
  }

  #needed(): number {
    const top = this.layers.length - 1;
    let highest = -1;
    for (const f of this.#forwarders) {
      highest = Math.max(highest, f.neededLayer ? f.neededLayer() : top);
    }
    return (1 << (highest + 1)) - 1;
  }

  #announce(mask: number): void {
    this.#announced = mask;
    const active = this.layers.flatMap((l, i) => ((mask & (1 << i)) !== 0 ? [l.rid ?? ''] : []));
    this.onLayers?.(active);
  }

  /**
   * Asks the publisher for a keyframe of `layer` (default: the highest); werift does not
   * forward subscribers' PLIs itself.
   */
  requestKeyframe(layer = this.layers.length - 1): void {
    if (this.#closed || this.kind !== 'video') return;
    this.layers[layer]?.requestKeyframe();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#layerTimer);
    this.#layerTimer = undefined;
    clearTimeout(this.#dynacastTimer);
    this.#dynacastTimer = undefined;
    this.onLayers = undefined;
    for (const off of this.#offs.splice(0)) off();
    for (const forwarder of this.#forwarders) forwarder.close();
    this.#forwarders.clear();
    for (const layer of this.layers) layer.close();
  }
}
