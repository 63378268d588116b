/**
 * NodeRegistry: the one Durable Object (`global`) that knows the media nodes. Heartbeats keep
 * nodes alive; placement picks a node per session; an alarm drops nodes that went silent and
 * has every shard fail the sessions they had.
 */
import { DurableObject } from 'cloudflare:workers';
import { MediaError } from '../../../shared/errors.ts';
import type { Heartbeat, HeartbeatReply } from '../../../shared/internal.ts';
import { HEARTBEAT_INTERVAL_MS } from '../../../shared/limits.ts';
import { ReplayGuard } from '../../../shared/signing.ts';
import { mapBounded, withTimeout } from '../bounded.ts';
import { type EdgeConfig, loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { log } from '../log.ts';
import { isScalarKey, type MetricSample } from '../metrics/definitions.ts';
import { capture, type Outcome } from '../outcome.ts';
import { isPrivateRoom } from '../session/ids.ts';
import {
  applyHeartbeat,
  type LostNode,
  type NodeView,
  nextSweepAt,
  nodeView,
  silentNodes,
} from './node-record.ts';
import { PLACEMENT_RETRY_AFTER_S, place } from './placement.ts';
import { RegistryStore } from './registry-store.ts';

/** Shards told about a lost node at once. */
const FAN_OUT_CONCURRENCY = 8;
/** How long one shard may take to fail a lost node's sessions, in ms. */
const FAN_OUT_TIMEOUT_MS = 5_000;

export interface PlacedNode {
  id: string;
  region: string;
  url: string;
}

export class NodeRegistry extends DurableObject<Env> {
  readonly #store: RegistryStore;
  readonly #config: EdgeConfig;
  readonly #guard = new ReplayGuard();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = loadConfig(env);
    this.#store = new RegistryStore(ctx.storage.sql);
  }

  /** A signed heartbeat (signature checked by the worker; the nonce here). */
  async heartbeat(
    hb: Heartbeat,
    nonce: string,
    timestamp: number,
  ): Promise<Outcome<HeartbeatReply>> {
    return capture(async () => {
      const now = Date.now();
      if (!this.#guard.remember(nonce, timestamp, now)) {
        throw new MediaError('unauthorized', 'replayed request');
      }
      const outcome = applyHeartbeat(this.#store.node(hb.nodeId), hb, now);
      if (outcome.lost) await this.#lose(outcome.lost, now);
      if (outcome.record) {
        if (!this.#store.node(hb.nodeId))
          log('info', 'node_registered', { node: hb.nodeId, url: hb.url });
        this.#store.putNode(outcome.record);
      }
      this.#store.count('heartbeats');
      // An alarm set earlier may be early (its node has since beaten): the sweep re-arms.
      if ((await this.ctx.storage.getAlarm()) === null) await this.#armSweep();
      return { heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS };
    });
  }

  /** Picks the node for a new session of `room` and counts it there. */
  async place(room: string): Promise<Outcome<PlacedNode>> {
    return capture(() => {
      const privateRoom = isPrivateRoom(room);
      const assigned = privateRoom ? undefined : this.#store.roomNode(room);
      const result = place(
        this.#store.nodes(),
        assigned,
        Date.now(),
        this.#config.HEARTBEAT_TIMEOUT_MS,
      );
      this.#store.count('placements', result.ok ? 'ok' : result.code);
      if (!result.ok)
        throw new MediaError(result.code, result.message, {}, PLACEMENT_RETRY_AFTER_S);
      this.#store.addPending(result.node.id);
      if (!privateRoom) this.#store.joinRoom(room, result.node.id);
      return { id: result.node.id, region: result.node.region, url: result.node.url };
    });
  }

  /** A session left `room` (ended, or its create failed after placement). */
  async release(room: string): Promise<void> {
    this.#store.leaveRoom(room);
  }

  /** The node that holds `room`, if any (for room views). */
  async roomNode(room: string): Promise<PlacedNode | null> {
    const id = this.#store.roomNode(room);
    const node = id ? this.#store.node(id) : undefined;
    return node ? { id: node.id, region: node.region, url: node.url } : null;
  }

  metrics(): MetricSample[] {
    const samples: MetricSample[] = [];
    for (const c of this.#store.counters()) {
      if (isScalarKey(c.name)) samples.push({ metric: c.name, label: c.label, value: c.value });
    }
    const byState = new Map<string, number>([
      ['ready', 0],
      ['draining', 0],
    ]);
    for (const n of this.#store.nodes()) byState.set(n.state, (byState.get(n.state) ?? 0) + 1);
    for (const [state, value] of byState) samples.push({ metric: 'nodes', label: state, value });
    return samples;
  }

  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }

  /** Drops silent nodes; re-arms while nodes remain. `now` is a parameter for tests. */
  async sweep(now: number): Promise<number> {
    const lost = silentNodes(this.#store.nodes(), now, this.#config.HEARTBEAT_TIMEOUT_MS);
    for (const node of lost) await this.#lose(node, now);
    await this.#armSweep();
    return lost.length;
  }

  /** The nodes as operators see them. */
  async listNodes(): Promise<NodeView[]> {
    return this.#store.nodes().map(nodeView);
  }

  /** Sets the alarm to when the earliest node turns silent (none without nodes). */
  async #armSweep(): Promise<void> {
    const at = nextSweepAt(this.#store.nodes(), this.#config.HEARTBEAT_TIMEOUT_MS);
    if (at !== null) await this.ctx.storage.setAlarm(Math.max(at, Date.now() + 1));
  }

  /** Forgets a node instance and has every shard fail its open sessions. */
  async #lose(node: LostNode, now: number): Promise<void> {
    this.#store.dropNode(node.nodeId);
    this.#store.count('nodes_lost', node.reason);
    log('warn', 'node_lost', { node: node.nodeId, reason: node.reason });
    const shards = Array.from({ length: this.#config.SHARD_COUNT }, (_, i) => i);
    const results = await mapBounded(shards, FAN_OUT_CONCURRENCY, (i) =>
      withTimeout(
        this.env.SESSION_SHARD.getByName(`shard-${i}`)
          .failNode(node.nodeId, node.reason, now)
          .then((o) => (o.ok ? o.value : -1))
          .catch(() => -1),
        FAN_OUT_TIMEOUT_MS,
        -1,
      ),
    );
    const failed = results.filter((n) => n > 0).reduce((a, b) => a + b, 0);
    const unreachable = results.filter((n) => n < 0).length;
    log(unreachable ? 'warn' : 'info', 'node_sessions_failed', {
      node: node.nodeId,
      sessions: failed,
      unreachableShards: unreachable,
    });
  }
}
