/**
 * Simulcast layers of a published track and the per-subscriber choice among them (issue 16).
 *
 * A publisher sends up to three encodings of one camera, each on its own SSRC and named by a
 * `rid` (`q` quarter, `h` half, `f` full resolution). A subscriber gets one of them at a time on
 * its one outgoing SSRC. `LayerSelector` is the switch state machine: it keeps forwarding the
 * current layer until a keyframe of the wanted layer arrives, then switches (a decoder can start
 * only on a keyframe), and stops at once on `paused`. It is pure: the forwarder feeds it packets
 * and acts on its answers (rtc/forwarding.ts).
 */

/** Layer names a client uses, lowest first. */
export const LAYER_RIDS = ['q', 'h', 'f'] as const;
export type LayerRid = (typeof LAYER_RIDS)[number];
/** What a subscriber should get of one track: at most this layer, or nothing. */
export type TargetLayer = LayerRid | 'paused';

/** At most this many encodings per track are received (more rids in an offer are dropped). */
export const MAX_LAYERS = 3;

/**
 * Quality rank of each rid (0 lowest), in the order given: `q`/`h`/`f` by name; any other name
 * (another client's `0`/`1`/`2`, `low`/`high`) by its position among the others, which is the
 * `a=rid` order, lowest first by the convention browsers and SDKs follow.
 */
export function ridRanks(rids: readonly string[]): number[] {
  const known = rids.every((r) => (LAYER_RIDS as readonly string[]).includes(r));
  return rids.map((rid, i) => (known ? LAYER_RIDS.indexOf(rid as LayerRid) : i));
}

/** The highest rank a target allows (a cap of `h` allows q and h). */
export function maxRankOf(target: LayerRid): number {
  return LAYER_RIDS.indexOf(target);
}

/**
 * The layer (index into `ranks`, sorted ascending) to forward: the highest active one within
 * `maxRank`; if none is active within it, the highest within it, to wait for (a cap is never
 * exceeded: a thumbnail does not get the full layer because its own is paused or late).
 */
export function chooseLayer(ranks: readonly number[], activeMask: number, maxRank: number): number {
  let within = -1;
  let activeWithin = -1;
  for (let i = 0; i < ranks.length; i++) {
    if ((ranks[i] ?? 0) > maxRank) continue;
    within = i;
    if ((activeMask & (1 << i)) !== 0) activeWithin = i;
  }
  if (activeWithin >= 0) return activeWithin;
  return Math.max(within, 0);
}

/** The layer a target needs the publisher to send (-1: none, paused). */
export function neededLayer(ranks: readonly number[], target: TargetLayer): number {
  return target === 'paused' ? -1 : chooseLayer(ranks, 0, maxRankOf(target));
}

/** What the forwarder does with a packet the selector was offered. */
export const Offer = {
  Drop: 0,
  Forward: 1,
  /** Forward, as the first packet of a new layer (or of a resumed stream): rewrite offsets. */
  Switch: 2,
} as const;
export type Offer = (typeof Offer)[keyof typeof Offer];

export interface LayerSelectorOptions {
  /** Quality rank per layer, ascending (PublishedTrack.ranks). */
  ranks: readonly number[];
  /** A keyframe of `layer` is needed (the selector asks once per wanted layer). */
  requestKeyframe(layer: number): void;
}

/**
 * One subscriber's choice of layer for one track. `current` is the layer being forwarded now
 * (-1: none: paused, or waiting for the first keyframe). Single-layer tracks start forwarding at
 * once (as before simulcast: audio, and codecs whose keyframes we cannot see); a resumed stream
 * and a simulcast track start on a keyframe.
 */
export class LayerSelector {
  current: number;
  #maxRank = LAYER_RIDS.length - 1;
  #paused = false;
  /** The layer wanted (-1: not computed for the present mask) and the mask it was computed for. */
  #wanted = -1;
  #mask = -1;
  /** The layer a keyframe was asked for (once per wanted layer). */
  #asked = -1;
  readonly #o: LayerSelectorOptions;

  constructor(o: LayerSelectorOptions) {
    this.#o = o;
    this.current = o.ranks.length === 1 ? 0 : -1;
  }

  get target(): TargetLayer {
    return this.#paused ? 'paused' : (LAYER_RIDS[this.#maxRank] ?? 'f');
  }

  /** True when nothing is forwarded because the subscriber (or the allocator) paused it. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Sets the target; `paused` stops forwarding at once, anything else switches on a keyframe. */
  setTarget(target: TargetLayer): void {
    if (target === this.target) return;
    if (target === 'paused') {
      this.#paused = true;
      this.current = -1;
      this.#asked = -1;
      return;
    }
    this.#paused = false;
    this.#maxRank = maxRankOf(target);
    this.#wanted = -1;
    this.#asked = -1;
  }

  /**
   * The decision for a packet of `layer` (call it for every packet whose layer is not `current`,
   * and for current-layer packets when `activeMask` may have changed). `keyframe`: the packet
   * starts a keyframe. `activeMask`: bit i set while layer i is being received.
   */
  offer(layer: number, keyframe: boolean, activeMask: number): Offer {
    if (this.#paused) return Offer.Drop;
    const wanted = this.wanted(activeMask);
    if (layer === wanted) {
      if (layer === this.current) return Offer.Forward;
      if (keyframe) {
        this.current = layer;
        this.#asked = -1;
        return Offer.Switch;
      }
      this.#ask(layer);
      // Until then the current layer keeps the subscriber's picture going.
      return Offer.Drop;
    }
    if (layer === this.current) {
      this.#ask(wanted);
      return Offer.Forward;
    }
    return Offer.Drop;
  }

  /** The layer this subscriber should get for `activeMask` (cached per mask and target). */
  wanted(activeMask: number): number {
    if (activeMask !== this.#mask || this.#wanted < 0) {
      this.#mask = activeMask;
      this.#wanted = chooseLayer(this.#o.ranks, activeMask, this.#maxRank);
    }
    return this.#wanted;
  }

  #ask(layer: number): void {
    if (this.#asked === layer) return;
    this.#asked = layer;
    this.#o.requestKeyframe(layer);
  }
}

/** A subscriber's own choice for one track (`PUT .../subscriptions/:trackId`). */
export interface SubscriberChoice {
  maxLayer: LayerRid;
  paused: boolean;
}

/**
 * The target a forwarder gets from the subscriber's choice and the allocator's: the lower of the
 * two caps, paused when either pauses (the subscriber's cap is never exceeded).
 */
export function effectiveTarget(choice: SubscriberChoice, allocated: TargetLayer): TargetLayer {
  if (choice.paused || allocated === 'paused') return 'paused';
  return maxRankOf(allocated) < maxRankOf(choice.maxLayer) ? allocated : choice.maxLayer;
}
