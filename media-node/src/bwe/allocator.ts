/**
 * Per-subscriber layer allocation: given the subscriber's bandwidth estimate and the tracks it
 * receives, the best layer of each track that fits, in priority order: every audio track first
 * (never paused by the allocator: video is paused rather than let audio suffer), then the active
 * speaker's video, then the other videos, which share what is left (each gets its lowest layer
 * before any gets more). Pure apart from the state kept for hysteresis:
 *
 * - Keeping a layer costs its bitrate; going up costs `1 + UPGRADE_HEADROOM` times it. A
 *   subscriber whose estimate hovers around a layer's bitrate stays where it is.
 * - Going down happens at once (the estimate says the link is full). After a downgrade, no
 *   upgrade for a back-off that starts at `BACKOFF_MS` and doubles (up to `MAX_BACKOFF_MS`)
 *   each time a downgrade follows an upgrade within `PROBE_WINDOW_MS` (a failed probe: without
 *   padding probes, trying the next layer is how the link's room is found).
 * - The subscriber's own choices (`maxLayer`, `paused`) apply at once and never start a back-off.
 */

/** `setTargetLayer`'s target: a layer's rid, or paused. */
export type LayerChoice = string | 'paused';

export interface LayerOffer {
  /** The layer's rid (`q`, `h`, `f`); `''` for a track without simulcast. */
  rid: string;
  /**
   * What the layer costs (bit/s): its measured rate, or the expected one while it is paused at
   * the publisher (dynacast), so that the allocator can ask for it back.
   */
  bps: number;
}

export interface TrackDemand {
  trackId: string;
  kind: 'audio' | 'video';
  /** The layers on offer, lowest first (audio: one). */
  layers: readonly LayerOffer[];
  /** The subscriber's cap (`PUT .../subscriptions/:trackId {maxLayer}`): the highest rid it wants. */
  maxLayer?: string | undefined;
  /** The subscriber paused this track. */
  paused?: boolean | undefined;
  /** The track is the room's active speaker's video. */
  speaker?: boolean | undefined;
}

export interface Allocation {
  /** Per track: the layer to send, or paused. */
  choices: Map<string, LayerChoice>;
  /** The sum of the chosen layers' bitrates (bit/s). */
  allocatedBps: number;
  /** Video tracks the allocator paused for lack of bandwidth (not the subscriber's own pauses). */
  pausedForBandwidth: number;
}

/** How the simulcast rids rank (a `maxLayer` of `h` allows `q` and `h`). */
const LAYER_RANK: Readonly<Record<string, number>> = { q: 0, h: 1, f: 2 };
/** Going up needs this much more room than the layer's bitrate. */
export const UPGRADE_HEADROOM = 0.15;
export const BACKOFF_MS = 2_000;
export const MAX_BACKOFF_MS = 32_000;
export const PROBE_WINDOW_MS = 5_000;

/** The layers a subscriber's choices allow on `track` (lowest first). */
export function allowedLayers(track: TrackDemand): readonly LayerOffer[] {
  if (track.paused) return [];
  const max = track.maxLayer === undefined ? undefined : LAYER_RANK[track.maxLayer];
  if (max === undefined) return track.layers;
  const allowed = track.layers.filter((l) => (LAYER_RANK[l.rid] ?? 0) <= max);
  // A cap below every layer on offer still gets the lowest one (it asked for video, not none).
  return allowed.length > 0 ? allowed : track.layers.slice(0, 1);
}

/**
 * One allocation. `previous` is what each track had (for the upgrade cost); `allowUpgrades`
 * false keeps every video at or below its previous layer (back-off).
 */
export function allocate(
  estimateBps: number,
  tracks: readonly TrackDemand[],
  previous: ReadonlyMap<string, LayerChoice> = new Map(),
  allowUpgrades = true,
): Allocation {
  const choices = new Map<string, LayerChoice>();
  let budget = estimateBps;
  let allocated = 0;
  for (const t of tracks) {
    if (t.kind !== 'audio') continue;
    const layer = allowedLayers(t).at(-1);
    if (!layer) {
      choices.set(t.trackId, 'paused');
      continue;
    }
    choices.set(t.trackId, layer.rid);
    budget -= layer.bps;
    allocated += layer.bps;
  }
  const videos = tracks
    .filter((t) => t.kind === 'video')
    .map((t, order) => ({ t, order, allowed: allowedLayers(t), level: -1 }))
    .sort(
      (a, b) => Number(b.t.speaker ?? false) - Number(a.t.speaker ?? false) || a.order - b.order,
    );
  /** What moving `v` from its level to `level` costs against the budget. */
  const cost = (v: (typeof videos)[number], level: number): number => {
    const layer = v.allowed[level]!;
    const was = previous.get(v.t.trackId);
    const wasLevel = was === undefined ? -1 : v.allowed.findIndex((l) => l.rid === was);
    const price = level <= wasLevel ? layer.bps : layer.bps * (1 + UPGRADE_HEADROOM);
    return price - (v.level >= 0 ? v.allowed[v.level]!.bps : 0);
  };
  const mayTake = (v: (typeof videos)[number], level: number): boolean => {
    if (allowUpgrades) return true;
    const was = previous.get(v.t.trackId);
    if (was === undefined) return level === 0; // a new track may start on its lowest layer
    if (was === 'paused') return false;
    const wasLevel = v.allowed.findIndex((l) => l.rid === was);
    return wasLevel < 0 ? level === 0 : level <= wasLevel;
  };
  const step = (v: (typeof videos)[number]): boolean => {
    const next = v.level + 1;
    if (next >= v.allowed.length || !mayTake(v, next)) return false;
    const c = cost(v, next);
    if (c > budget) return false;
    budget -= c;
    v.level = next;
    return true;
  };
  // Everyone's lowest layer first, in priority order; then the speaker as high as it goes;
  // then the others one step at a time, round robin.
  for (const v of videos) step(v);
  const speaker = videos[0]?.t.speaker ? videos[0] : undefined;
  if (speaker && speaker.level >= 0) while (step(speaker));
  for (let moved = true; moved; ) {
    moved = false;
    for (const v of videos) if (v.level >= 0 && step(v)) moved = true;
  }
  let pausedForBandwidth = 0;
  for (const v of videos) {
    const layer = v.level >= 0 ? v.allowed[v.level] : undefined;
    choices.set(v.t.trackId, layer ? layer.rid : 'paused');
    if (layer) allocated += layer.bps;
    else if (v.allowed.length > 0) pausedForBandwidth++;
  }
  return { choices, allocatedBps: allocated, pausedForBandwidth };
}

/** One subscriber's allocator: `allocate` plus the back-off state between calls. */
export class SubscriberAllocator {
  #previous = new Map<string, LayerChoice>();
  /** Tracks the subscriber itself had paused at the last allocation. */
  #userPaused = new Set<string>();
  #blockedUntilMs = Number.NEGATIVE_INFINITY;
  #backoffMs = BACKOFF_MS;
  #lastUpgradeMs = Number.NEGATIVE_INFINITY;

  /** The choices of the last allocation. */
  get current(): ReadonlyMap<string, LayerChoice> {
    return this.#previous;
  }

  /** Allocates at `nowMs`; returns only the tracks whose choice changed (to apply). */
  update(
    estimateBps: number,
    tracks: readonly TrackDemand[],
    nowMs: number,
  ): { allocation: Allocation; changed: Map<string, LayerChoice> } {
    const previous = this.#previous;
    // A track the subscriber un-pauses is like a new one: it may start (on its lowest layer)
    // during a back-off, since the subscriber's choices apply at once.
    const basis = new Map(previous);
    for (const id of this.#userPaused) basis.delete(id);
    const allocation = allocate(estimateBps, tracks, basis, nowMs >= this.#blockedUntilMs);
    let down = false;
    let up = false;
    const changed = new Map<string, LayerChoice>();
    for (const t of tracks) {
      const now = allocation.choices.get(t.trackId)!;
      const was = previous.get(t.trackId);
      if (now !== was) changed.set(t.trackId, now);
      if (was === undefined || t.kind !== 'video' || this.#userPaused.has(t.trackId)) continue;
      const allowed = allowedLayers(t);
      const rank = (c: LayerChoice) =>
        c === 'paused' ? -1 : allowed.findIndex((l) => l.rid === c);
      // Only moves the allocator made count: a layer the subscriber's cap or pause removed is not
      // a sign of congestion.
      const wasRank = rank(was);
      if (allowed.length === 0 || (was !== 'paused' && wasRank < 0)) continue;
      if (rank(now) < wasRank) down = true;
      else if (rank(now) > wasRank) up = true;
    }
    if (down) {
      if (nowMs - this.#lastUpgradeMs <= PROBE_WINDOW_MS) {
        this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
      } else {
        this.#backoffMs = BACKOFF_MS;
      }
      this.#blockedUntilMs = nowMs + this.#backoffMs;
    } else if (up) {
      this.#lastUpgradeMs = nowMs;
    }
    this.#previous = allocation.choices;
    this.#userPaused = new Set(tracks.filter((t) => t.paused).map((t) => t.trackId));
    return { allocation, changed };
  }
}
