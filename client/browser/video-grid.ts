/**
 * The demo's video tiles: one per remote stream (the node puts each publisher's tracks in one
 * stream), removed when its last track goes away.
 */
export interface Tile {
  key: string;
  figure: HTMLElement;
  video: HTMLVideoElement;
  caption: HTMLElement;
  stream: MediaStream;
}

export class VideoGrid {
  readonly #root: HTMLElement;
  readonly #tiles = new Map<string, Tile>();
  /** The active speaker's tile key (the `speaker` event's session id), null when none. */
  #speaker: string | null = null;

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  get size(): number {
    return this.#tiles.size;
  }

  /** Adds `track` to the tile `key` (created on first use) labelled `label`. */
  add(key: string, label: string, track: MediaStreamTrack, stream?: MediaStream): Tile {
    let tile = this.#tiles.get(key);
    if (!tile) {
      const figure = document.createElement('figure');
      figure.className = key === this.#speaker ? 'tile speaking' : 'tile';
      figure.dataset.key = key;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      const caption = document.createElement('figcaption');
      figure.append(video, caption);
      this.#root.append(figure);
      tile = { key, figure, video, caption, stream: stream ?? new MediaStream() };
      video.srcObject = tile.stream;
      const current = tile;
      // Renegotiation that stops a publisher's transceivers removes its tracks from the stream.
      tile.stream.addEventListener('removetrack', () => {
        if (current.stream.getTracks().length === 0) this.remove(key);
      });
      this.#tiles.set(key, tile);
    }
    tile.caption.textContent = label;
    if (!tile.stream.getTracks().includes(track)) tile.stream.addTrack(track);
    track.addEventListener('ended', () => {
      const t = this.#tiles.get(key);
      if (!t) return;
      t.stream.removeTrack(track);
      if (t.stream.getTracks().length === 0) this.remove(key);
    });
    return tile;
  }

  /** Every tile's caption, in order (what a viewer reads under the videos). */
  captions(): string[] {
    return [...this.#tiles.values()].map((t) => t.caption.textContent ?? '');
  }

  /**
   * Marks the tile `key` as the active speaker's (class `speaking`) and unmarks the others;
   * null unmarks all. A tile created later for the same key is marked when it appears.
   */
  highlight(key: string | null): void {
    this.#speaker = key;
    for (const tile of this.#tiles.values()) {
      tile.figure.classList.toggle('speaking', tile.key === key);
    }
  }

  /** The key of the highlighted tile, if it is shown. */
  get highlighted(): string | null {
    return this.#speaker !== null && this.#tiles.has(this.#speaker) ? this.#speaker : null;
  }

  /** Relabels tiles whose key is `key`. */
  label(key: string, label: string): void {
    const tile = this.#tiles.get(key);
    if (tile) tile.caption.textContent = label;
  }

  /** Removes tiles holding a track with id `trackId`. */
  removeTrack(trackId: string): void {
    for (const tile of [...this.#tiles.values()]) {
      const track = tile.stream.getTracks().find((t) => t.id === trackId);
      if (!track) continue;
      tile.stream.removeTrack(track);
      if (tile.stream.getTracks().length === 0) this.remove(tile.key);
    }
  }

  remove(key: string): void {
    const tile = this.#tiles.get(key);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.figure.remove();
    this.#tiles.delete(key);
  }

  clear(): void {
    for (const key of [...this.#tiles.keys()]) this.remove(key);
  }
}
