/**
 * NodeRegistry: the one Durable Object (`global`) that knows the media nodes: the authority on
 * their health, off the path of a join. Heartbeats keep nodes alive and change the node
 * directory's version; the room placers pull the directory (at most once per
 * NODE_DIRECTORY_MAX_AGE_MS each) and place from their copy, asking the registry only for a slot
 * of a node's shared capacity pool (capacity-quota.ts) once their own share is used up. An
 * alarm drops nodes that went silent and has every shard fail the sessions they had and every
 * placer forget their rooms. A loss noticed by a heartbeat (a restart, a stop) is queued and
 * fanned out by the alarm too, so no heartbeat waits for the shards.
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
import { countedSince, poolSize } from '../placement/capacity-quota.ts';
import type { DirectoryPull } from '../placement/node-directory.ts';
import { placerName } from '../placement/placer-name.ts';
import { FLUSH_DELAY_MS, ShardCounters } from '../shard/shard-counters.ts';
import { RegistryHooks } from '../webhooks/registry-hooks.ts';
import { HANDOFF_RETRY_MS, sinkFor } from '../webhooks/sink.ts';
import {
  applyHeartbeat,
  type LostNode,
  type NodeView,
  nextSweepAt,
  nodeView,
  silentNodes,
} from './node-record.ts';
import { type QueuedLoss, RegistryStore } from './registry-store.ts';

/** Shards told about a lost node at once. */
const FAN_OUT_CONCURRENCY = 8;
/** How long one shard may take to fail a lost node's sessions, in ms. */
const FAN_OUT_TIMEOUT_MS = 5_000;
/** A loss some shards could not be told about is retried this often, this many times. */
const FAN_OUT_RETRY_MS = 1_000;
const FAN_OUT_ATTEMPTS = 5;

export class NodeRegistry extends DurableObject<Env> {
  readonly #store: RegistryStore;
  readonly #config: EdgeConfig;
  readonly #hooks: RegistryHooks;
  readonly #counters: ShardCounters;
  /** This instance's tag in directory versions: a restarted registry never repeats one. */
  readonly #instance = crypto.randomUUID().slice(0, 8);
  #version = 0;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = loadConfig(env);
    this.#store = new RegistryStore(ctx.storage.sql);
    this.#counters = new ShardCounters(ctx.storage.sql, () => this.#armFlush());
    this.#hooks = new RegistryHooks(
      sinkFor(this.#config.WEBHOOK_URLS, ctx.storage.sql, env.WEBHOOK_DISPATCHER, {
        wake: (at) => {
          void this.#armNoLaterThan(at);
        },
        retried: (n) => this.#counters.count('webhooks_handoff_retried', '', n),
      }),
    );
  }

  /**
   * A signed heartbeat (signature checked by the worker). Its timestamp must be newer than the
   * node's last accepted one (a floor kept in storage): a captured heartbeat is refused, after
   * a restart of the edge too.
   */
  async heartbeat(hb: Heartbeat, timestamp: number): Promise<Outcome<HeartbeatReply>> {
    this.#called('heartbeat');
    return capture(async () => {
      const now = Date.now();
      const outcome = this.ctx.storage.transactionSync(() => {
        if (!this.#store.advanceFloor(hb.nodeId, timestamp)) {
          throw new MediaError('unauthorized', 'replayed request');
        }
        const existing = this.#store.node(hb.nodeId);
        const result = applyHeartbeat(existing, hb, now);
        if (hb.state === 'draining' && existing?.state !== 'draining') {
          this.#hooks.nodeDraining(hb.nodeId, now);
        }
        if (result.lost) this.#queueLoss(result.lost, now);
        if (result.record) {
          if (!existing) log('info', 'node_registered', { node: hb.nodeId, url: hb.url });
          this.#store.putNode(result.record);
        }
        this.#store.clearPending(hb.nodeId);
        this.#counters.count('heartbeats');
        this.#counters.flush();
        return result;
      });
      this.#version++;
      if (outcome.lost) await this.ctx.storage.setAlarm(now);
      // An alarm set earlier may be early (its node has since beaten): the sweep re-arms.
      else if ((await this.ctx.storage.getAlarm()) === null) await this.#armSweep();
      await this.#hooks.flush();
      return { heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS };
    });
  }

  /**
   * The node directory for the placers: every node record under a version, or `unchanged` when
   * the caller already has `known`. A read: it writes nothing.
   */
  async directory(known = ''): Promise<DirectoryPull> {
    this.#called('directory');
    const version = `${this.#instance}:${this.#version}`;
    if (known === version) return { version, unchanged: true };
    return { version, nodes: this.#store.nodes() };
  }

  /**
   * One slot of the shared pool of node instance `nodeId`/`startedAt` (capacity-quota.ts), for
   * a placer whose own share is used up. False when the pool is empty or the node cannot take
   * sessions. `now` is for tests.
   */
  async reserve(nodeId: string, startedAt: number, now: number = Date.now()): Promise<boolean> {
    this.#called('reserve');
    const node = this.#store.node(nodeId);
    if (!node || node.startedAt !== startedAt || node.state !== 'ready') return false;
    if (now - node.lastSeen > this.#config.HEARTBEAT_TIMEOUT_MS) return false;
    const since = countedSince(node, now, this.#config.PENDING_OFFER_TIMEOUT_MS);
    if (this.#store.pending(nodeId, since).length >= poolSize(node, this.#config.SHARD_COUNT)) {
      return false;
    }
    this.ctx.storage.transactionSync(() => {
      this.#store.addPending(nodeId, now, since);
      this.#counters.flush();
    });
    return true;
  }

  metrics(): MetricSample[] {
    this.#called('metrics');
    const samples: MetricSample[] = [];
    const totals = this.ctx.storage.transactionSync(() => this.#counters.read());
    for (const c of totals.counters) {
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
    if (lost.length > 0) this.#version++;
    let retry = false;
    for (const loss of this.#store.losses()) {
      // Shards first: a placer finishes the node's rooms (webhook room.finished) only after their
      // sessions have ended, so a room's receivers see them in that order.
      const sessions = await this.#failSessions(loss);
      const unreachable = sessions + (await this.#forgetRooms(loss));
      const again = unreachable > 0 && loss.attempts + 1 < FAN_OUT_ATTEMPTS;
      this.#store.settleLoss(loss, again);
      retry ||= again;
    }
    await this.#hooks.flush();
    await this.#armSweep(retry ? Date.now() + FAN_OUT_RETRY_MS : undefined);
    return lost.length;
  }

  /** The nodes as operators see them. */
  async listNodes(): Promise<NodeView[]> {
    this.#called('list_nodes');
    return this.#store.nodes().map(nodeView);
  }

  /**
   * Sets the alarm to when the earliest node turns silent (none without nodes), or `retryAt`
   * when that is sooner.
   */
  async #armSweep(retryAt?: number): Promise<void> {
    const sweepAt = nextSweepAt(this.#store.nodes(), this.#config.HEARTBEAT_TIMEOUT_MS);
    // Webhook events still in the outbox (a failed hand-off) are retried by the same alarm.
    const handoffAt = this.#hooks.pending ? Date.now() + HANDOFF_RETRY_MS : undefined;
    const at = Math.min(
      sweepAt ?? Number.POSITIVE_INFINITY,
      retryAt ?? Number.POSITIVE_INFINITY,
      handoffAt ?? Number.POSITIVE_INFINITY,
    );
    if (Number.isFinite(at)) await this.ctx.storage.setAlarm(Math.max(at, Date.now() + 1));
  }

  /** Moves the alarm to `at` if it is later or unset (a sweep then runs early: harmless). */
  async #armNoLaterThan(at: number): Promise<void> {
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || armed > at) await this.ctx.storage.setAlarm(at);
  }

  /** Forgets a node instance now; the alarm fails its open sessions on the shards. */
  #queueLoss(node: LostNode, now: number): void {
    this.#store.dropNode(node.nodeId);
    this.#hooks.nodeLost(node.nodeId, node.reason, now);
    this.#store.queueLoss(node, now);
    this.#counters.count('nodes_lost', node.reason);
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

  /** Has every placer forget a lost node's rooms; returns how many placers did not answer. */
  async #forgetRooms(node: QueuedLoss): Promise<number> {
    const placers = Array.from({ length: this.#config.SHARD_COUNT }, (_, i) => i);
    const results = await mapBounded(placers, FAN_OUT_CONCURRENCY, (i) =>
      withTimeout(
        this.env.ROOM_PLACER.getByName(placerName(i))
          .nodeLost(node.nodeId, node.startedAt, node.reason)
          .then(() => true)
          .catch(() => false),
        FAN_OUT_TIMEOUT_MS,
        false,
      ),
    );
    return results.filter((ok) => !ok).length;
  }

  /** Counts a call into this object (in memory; written with the next write or by a timer). */
  #called(op: 'heartbeat' | 'directory' | 'reserve' | 'list_nodes' | 'metrics'): void {
    this.#counters.count('registry_calls', op);
  }

  #armFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#counters.pending) this.ctx.storage.transactionSync(() => this.#counters.flush());
    }, FLUSH_DELAY_MS);
  }
}
