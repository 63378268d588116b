/**
 * The node directory: the registry's node records under a version. The placers pull it and
 * keep it at most NODE_DIRECTORY_MAX_AGE_MS old, so a create reads nodes from memory instead of
 * asking the one registry object; the price is that a change (a node draining, a new heartbeat's
 * load) reaches placement within that age, not at once. A node loss is also pushed by the
 * registry's alarm (`forget`), so a lost node stops getting sessions without waiting for a pull.
 */
import type { NodeRecord } from '../registry/node-record.ts';

export interface NodeDirectory {
  /** Changes whenever a record does; `<instance>:<counter>` so a restarted registry differs. */
  version: string;
  nodes: NodeRecord[];
}

/** What a pull returns: the directory, or that the caller's version is current. */
export type DirectoryPull = NodeDirectory | { version: string; unchanged: true };

export class DirectoryCache {
  #directory: NodeDirectory = { version: '', nodes: [] };
  #fetchedAt = Number.NEGATIVE_INFINITY;
  /** Node instances lost since the pull (`id:startedAt`), kept out until the next one. */
  readonly #lost = new Set<string>();

  get version(): string {
    return this.#directory.version;
  }

  /** Whether the copy is older than `maxAgeMs` (or was never pulled). */
  stale(now: number, maxAgeMs: number): boolean {
    return now - this.#fetchedAt > maxAgeMs;
  }

  /** Takes a pull made at `now`. */
  update(pull: DirectoryPull, now: number): void {
    this.#fetchedAt = now;
    if ('unchanged' in pull) return;
    this.#directory = pull;
    // A pull that raced the loss may still list the lost instance: it stays out while listed.
    const listed = new Set(pull.nodes.map((n) => `${n.id}:${n.startedAt}`));
    for (const key of this.#lost) if (!listed.has(key)) this.#lost.delete(key);
  }

  nodes(): readonly NodeRecord[] {
    if (this.#lost.size === 0) return this.#directory.nodes;
    return this.#directory.nodes.filter((n) => !this.#lost.has(`${n.id}:${n.startedAt}`));
  }

  node(id: string): NodeRecord | undefined {
    return this.nodes().find((n) => n.id === id);
  }

  /**
   * A node instance the registry lost: out of placement at once, and the copy is due (a
   * restarted node's new instance is in the registry's directory already).
   */
  forget(nodeId: string, startedAt: number): void {
    this.#lost.add(`${nodeId}:${startedAt}`);
    this.#fetchedAt = Number.NEGATIVE_INFINITY;
  }
}
