/**
 * RoomPlacer: one Durable Object per placer (`placer-<n>`), n = FNV-1a-32(room) % SHARD_COUNT
 * for a named room (so every member of a room asks the same object) and the device's shard for
 * a private room. It holds room -> node assignments (SQLite), a copy of the node directory no
 * older than NODE_DIRECTORY_MAX_AGE_MS (pulled from the registry), and its share of every node's
 * capacity (memory). A create asks the registry nothing unless this placer's share of every
 * eligible node is used up (capacity-quota.ts) or the directory copy is due.
 *
 * Thin on purpose: the decisions are PlacerCore's (placer-core.ts), the rule is shared/placement.ts.
 */
import { DurableObject } from 'cloudflare:workers';
import { greatCircleKm } from '../../../shared/geo.ts';
import { pickNode } from '../../../shared/placement.ts';
import { type EdgeConfig, loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { log } from '../log.ts';
import { isScalarKey, type MetricSample } from '../metrics/definitions.ts';
import { capture, type Outcome } from '../outcome.ts';
import type { NodeRecord } from '../registry/node-record.ts';
import { FLUSH_DELAY_MS, ShardCounters } from '../shard/shard-counters.ts';
import { RegistryHooks } from '../webhooks/registry-hooks.ts';
import { sinkFor } from '../webhooks/sink.ts';
import { Reservations } from './capacity-quota.ts';
import type { ClientLocation } from './client-location.ts';
import { DirectoryCache } from './node-directory.ts';
import { type PlacedNode, PlacerCore } from './placer-core.ts';
import { PLACER_SCHEMA, SqlRoomRepo } from './room-repo.ts';

export class RoomPlacer extends DurableObject<Env> {
  readonly #config: EdgeConfig;
  readonly #rooms: SqlRoomRepo;
  readonly #counters: ShardCounters;
  readonly #directory = new DirectoryCache();
  readonly #core: PlacerCore;
  /** room.started / room.finished webhooks (a disabled sink when WEBHOOK_URLS is empty). */
  readonly #hooks: RegistryHooks;
  /** The directory pull in flight: concurrent creates wait for the same one. */
  #pull: Promise<void> | undefined;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** The armed alarm (ms), null when none: the webhook outbox's retries are its only use. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = loadConfig(env);
    const sql = ctx.storage.sql;
    for (const statement of PLACER_SCHEMA) sql.exec(statement);
    this.#rooms = new SqlRoomRepo(sql);
    this.#counters = new ShardCounters(sql, () => this.#armFlush());
    this.#hooks = new RegistryHooks(
      sinkFor(this.#config.WEBHOOK_URLS, sql, env.WEBHOOK_DISPATCHER, {
        wake: (at) => this.#wake(at),
        retried: (n) => this.#counters.count('webhooks_handoff_retried', '', n),
      }),
    );
    if (this.#hooks.enabled) {
      ctx.blockConcurrencyWhile(async () => {
        this.#alarmAt = await ctx.storage.getAlarm();
      });
    }
    this.#core = new PlacerCore({
      nodes: (now) => this.#nodes(now),
      rooms: this.#rooms,
      events: {
        started: (room, nodeId) => this.#hooks.roomStarted(room, nodeId, Date.now()),
        finished: (room, nodeId, reason) =>
          this.#hooks.roomFinished(room, nodeId, reason, Date.now()),
      },
      reservations: new Reservations(),
      reservePooled: (node) => this.#registry().reserve(node.id, node.startedAt),
      pick: (candidates, client) =>
        pickNode(candidates, client, { slackKm: this.#config.PLACEMENT_SLACK_KM }),
      distanceKm: greatCircleKm,
      counters: this.#counters,
      config: this.#config,
    });
  }

  /** The node for a new session of `room`, its client at `client` (null: unknown). */
  place(room: string, client: ClientLocation | null): Promise<Outcome<PlacedNode>> {
    return capture(async () => {
      const placed = await this.#core.place(room, client, Date.now());
      await this.#hooks.flush();
      return placed;
    });
  }

  /** A session left `room` (ended, or its create failed after placement). */
  async release(room: string): Promise<void> {
    this.#core.release(room);
    await this.#hooks.flush();
  }

  /** The node that holds `room`, if it still lives (for room views). */
  async roomNode(room: string): Promise<{ id: string; region: string; url: string } | null> {
    const now = Date.now();
    const node = this.#core.roomNode(room, await this.#nodes(now), now);
    return node ? { id: node.id, region: node.region, url: node.url } : null;
  }

  /** Pushed by the registry's alarm: a node instance is gone, its rooms start over elsewhere. */
  async nodeLost(
    nodeId: string,
    startedAt: number,
    reason: 'node_lost' | 'node_shutdown' = 'node_lost',
  ): Promise<void> {
    this.#directory.forget(nodeId, startedAt);
    this.#core.nodeLost(nodeId, startedAt, reason);
    await this.#hooks.flush();
  }

  /** Hands webhook events left in the outbox (a failed hand-off, a restart) to the dispatchers. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    await this.#hooks.flush();
  }

  /** Arms the alarm for `at` unless one at or before it is armed already. */
  #wake(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    // Not awaited: the output gate holds the reply until the alarm is stored.
    void this.ctx.storage.setAlarm(at);
  }

  metrics(): MetricSample[] {
    const totals = this.ctx.storage.transactionSync(() => this.#counters.read());
    const samples: MetricSample[] = [];
    for (const c of totals.counters) {
      if (isScalarKey(c.name)) samples.push({ metric: c.name, label: c.label, value: c.value });
    }
    return samples;
  }

  /** The directory, pulled first when the copy is older than NODE_DIRECTORY_MAX_AGE_MS. */
  async #nodes(now: number): Promise<readonly NodeRecord[]> {
    if (this.#directory.stale(now, this.#config.NODE_DIRECTORY_MAX_AGE_MS)) {
      this.#pull ??= this.#registry()
        .directory(this.#directory.version)
        .then((pull) => this.#directory.update(pull, Date.now()))
        .catch((err: unknown) => {
          // The copy in hand still serves: its nodes age out by their own last heartbeat.
          log('warn', 'node_directory_pull_failed', { error: String(err) });
        })
        .finally(() => {
          this.#pull = undefined;
        });
      await this.#pull;
    }
    return this.#directory.nodes();
  }

  #registry() {
    return this.env.NODE_REGISTRY.getByName('global');
  }

  #armFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#counters.pending) this.ctx.storage.transactionSync(() => this.#counters.flush());
    }, FLUSH_DELAY_MS);
  }
}
