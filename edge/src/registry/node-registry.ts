/**
 * NodeRegistry: the one Durable Object (`global`) that knows the media nodes. Heartbeats keep
 * nodes alive; placement picks a node per session; an alarm drops nodes that went silent and
 * has every shard fail the sessions they had. A loss noticed by a heartbeat (a restart, a stop)
 * is queued and fanned out by the alarm too, so no heartbeat waits for 32 shards.
 */
import { DurableObject } from 'cloudflare:workers';
import { MediaError } from '../../../shared/errors.ts';
import type { Heartbeat, HeartbeatReply } from '../../../shared/internal.ts';
import { HEARTBEAT_INTERVAL_MS, SIGNATURE_WINDOW_MS } from '../../../shared/limits.ts';
import { mapBounded, withTimeout } from '../bounded.ts';
import { type EdgeConfig, loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { log } from '../log.ts';
import { isScalarKey, type MetricSample } from '../metrics/definitions.ts';
import { capture, type Outcome } from '../outcome.ts';
import { isPrivateRoom } from '../session/ids.ts';
import { RegistryHooks } from '../webhooks/registry-hooks.ts';
import { sinkFor } from '../webhooks/sink.ts';
import {
  applyHeartbeat,
  type LostNode,
  type NodeView,
  nextSweepAt,
  nodeView,
  silentNodes,
} from './node-record.ts';
import { PLACEMENT_RETRY_AFTER_S, place } from './placement.ts';
import { type QueuedLoss, RegistryStore } from './registry-store.ts';

/** Shards told about a lost node at once. */
const FAN_OUT_CONCURRENCY = 8;
/** How long one shard may take to fail a lost node's sessions, in ms. */
const FAN_OUT_TIMEOUT_MS = 5_000;
/** A loss some shards could not be told about is retried this often, this many times. */
const FAN_OUT_RETRY_MS = 1_000;
const FAN_OUT_ATTEMPTS = 5;

export interface PlacedNode {
  id: string;
  region: string;
  url: string;
}

export class NodeRegistry extends DurableObject<Env> {
  readonly #store: RegistryStore;
  readonly #config: EdgeConfig;
  readonly #hooks: RegistryHooks;
  /**
   * Rooms a queued loss took from its node: finished (webhook) once the shards have ended
   * their sessions, so a room's receivers see its sessions end before the room does.
   */
  readonly #lostRooms = new Map<string, string[]>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = loadConfig(env);
    this.#store = new RegistryStore(ctx.storage.sql);
    this.#hooks = new RegistryHooks(
      sinkFor(this.#config.WEBHOOK_URLS, env.WEBHOOK_DISPATCHER, (n) =>
        this.#store.count('webhooks_failed', 'enqueue_failed', n),
      ),
    );
  }

  /**
   * A signed heartbeat (signature checked by the worker). Its timestamp must be newer than the
   * node's last accepted one (a floor kept in storage): a captured heartbeat is refused, after
   * a restart of the edge too.
   */
  async heartbeat(hb: Heartbeat, timestamp: number): Promise<Outcome<HeartbeatReply>> {
    return capture(async () => {
      const now = Date.now();
      if (!this.#store.advanceFloor(hb.nodeId, timestamp)) {
        throw new MediaError('unauthorized', 'replayed request');
      }
      const existing = this.#store.node(hb.nodeId);
      const outcome = applyHeartbeat(existing, hb, now);
      if (hb.state === 'draining' && existing?.state !== 'draining') {
        this.#hooks.nodeDraining(hb.nodeId, now);
      }
      if (outcome.lost) this.#queueLoss(outcome.lost, now);
      if (outcome.record) {
        if (!existing) log('info', 'node_registered', { node: hb.nodeId, url: hb.url });
        this.#store.putNode(outcome.record);
      }
      this.#store.clearPending(hb.nodeId);
      this.#store.count('heartbeats');
      if (outcome.lost) await this.ctx.storage.setAlarm(now);
      // An alarm set earlier may be early (its node has since beaten): the sweep re-arms.
      else if ((await this.ctx.storage.getAlarm()) === null) await this.#armSweep();
      await this.#hooks.flush();
      return { heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS };
    });
  }

  /** Picks the node for a new session of `room` and counts it there. `now` is for tests. */
  async place(room: string, now: number = Date.now()): Promise<Outcome<PlacedNode>> {
    return capture(async () => {
      const privateRoom = isPrivateRoom(room);
      const assigned = privateRoom ? undefined : this.#store.roomNode(room);
      // A reservation older than this has not offered in time: it holds no capacity.
      const reservedSince = now - this.#config.PENDING_OFFER_TIMEOUT_MS;
      const result = place(
        this.#store.nodes(reservedSince),
        assigned,
        now,
        this.#config.HEARTBEAT_TIMEOUT_MS,
      );
      this.#store.count('placements', result.ok ? 'ok' : result.code);
      if (!result.ok)
        throw new MediaError(result.code, result.message, {}, PLACEMENT_RETRY_AFTER_S);
      this.#store.addPending(result.node.id, now, reservedSince);
      if (!privateRoom && this.#store.joinRoom(room, result.node.id)) {
        this.#hooks.roomStarted(room, result.node.id, now);
        await this.#hooks.flush();
      }
      return { id: result.node.id, region: result.node.region, url: result.node.url };
    });
  }

  /** A session left `room` (ended, or its create failed after placement). */
  async release(room: string): Promise<void> {
    const nodeId = this.#store.leaveRoom(room);
    if (nodeId !== undefined) {
      this.#hooks.roomFinished(room, nodeId, 'empty', Date.now());
      await this.#hooks.flush();
    }
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

  /**
   * Drops silent nodes, fails the sessions of every queued loss on the shards, and re-arms
   * while nodes or unfinished losses remain. `now` is a parameter for tests.
   */
  async sweep(now: number): Promise<number> {
    const lost = silentNodes(this.#store.nodes(), now, this.#config.HEARTBEAT_TIMEOUT_MS);
    for (const node of lost) this.#queueLoss(node, now);
    this.#store.pruneFloors(now - 2 * SIGNATURE_WINDOW_MS);
    let retry = false;
    for (const loss of this.#store.losses()) {
      const unreachable = await this.#failSessions(loss);
      const again = unreachable > 0 && loss.attempts + 1 < FAN_OUT_ATTEMPTS;
      this.#store.settleLoss(loss, again);
      retry ||= again;
      if (!again) {
        for (const room of this.#lostRooms.get(loss.nodeId) ?? []) {
          this.#hooks.roomFinished(room, loss.nodeId, loss.reason, Date.now());
        }
        this.#lostRooms.delete(loss.nodeId);
      }
    }
    await this.#hooks.flush();
    await this.#armSweep(retry ? Date.now() + FAN_OUT_RETRY_MS : undefined);
    return lost.length;
  }

  /** The nodes as operators see them. */
  async listNodes(): Promise<NodeView[]> {
    return this.#store.nodes().map(nodeView);
  }

  /**
   * Sets the alarm to when the earliest node turns silent (none without nodes), or `retryAt`
   * when that is sooner.
   */
  async #armSweep(retryAt?: number): Promise<void> {
    const sweepAt = nextSweepAt(this.#store.nodes(), this.#config.HEARTBEAT_TIMEOUT_MS);
    const at = Math.min(sweepAt ?? Number.POSITIVE_INFINITY, retryAt ?? Number.POSITIVE_INFINITY);
    if (Number.isFinite(at)) await this.ctx.storage.setAlarm(Math.max(at, Date.now() + 1));
  }

  /** Forgets a node instance now; the alarm fails its open sessions on the shards. */
  #queueLoss(node: LostNode, now: number): void {
    const rooms = this.#store.dropNode(node.nodeId);
    if (this.#hooks.enabled) {
      this.#lostRooms.set(node.nodeId, [...(this.#lostRooms.get(node.nodeId) ?? []), ...rooms]);
      this.#hooks.nodeLost(node.nodeId, node.reason, now);
    }
    this.#store.queueLoss(node, now);
    this.#store.count('nodes_lost', node.reason);
    log('warn', 'node_lost', { node: node.nodeId, reason: node.reason });
  }

  /** Has every shard fail the sessions of a lost node; returns how many shards did not answer. */
  async #failSessions(node: QueuedLoss): Promise<number> {
    const shards = Array.from({ length: this.#config.SHARD_COUNT }, (_, i) => i);
    const results = await mapBounded(shards, FAN_OUT_CONCURRENCY, (i) =>
      withTimeout(
        this.env.SESSION_SHARD.getByName(`shard-${i}`)
          .failNode(node.nodeId, node.reason, node.before)
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
    return unreachable;
  }
}
