/**
 * Batched UDP sends for the fast path (issue 7). Instead of one dgram `socket.send` per subscriber
 * and packet (dgram's JS send path was the top of the fast path's profile), the forwarder
 * encrypts every subscriber's copy into one scratch buffer and hands them all to the kernel in
 * one native call (`sendBatch` in media-node/native/src/srtp-addon.cc): `sendmmsg(2)` per
 * distinct socket (mode `batch`) or `sendmsg(2)` per datagram (mode `sendmsg`), on the fd of
 * werift's ICE socket (`udpSocketFd`, werift-internals.ts).
 *
 * When: the batch is flushed in a microtask (`FAST_SEND_FLUSH=packet`, the default): the media
 * node hands one incoming packet to every subscriber's forwarder synchronously, so this is one
 * native call per incoming packet for all its subscribers. `FAST_SEND_FLUSH=tick` flushes from
 * `setImmediate` instead: every packet received in one event-loop turn in one call, so a
 * subscriber's datagrams of that turn share one sendmmsg. The buffer is flushed early when full.
 *
 * `FAST_SEND=batch|sendmsg|dgram` (config `fastSend`): default `batch`; `dgram` is the
 * previous per-packet `socket.send`. Batch modes need the native SRTP backend on Linux (the addon
 * exports `sendBatch`); otherwise the forwarder uses dgram and says why (`FastSendConfig.detail`,
 * the start-up log, `media_fast_send_mode`). A subscriber whose socket is not a plain udp4 dgram
 * socket with a reachable fd (or whose peer is not IPv4) uses dgram for its packets.
 *
 * Errors (EAGAIN when a socket buffer is full, ENOBUFS, ...) are counted here and per subscriber
 * (`packetsDropped`), never thrown: a non-blocking direct send drops where dgram would queue.
 */
import { constants } from 'node:os';
import type { FastSubscriber } from './fast-subscriber.ts';
import { nativeSrtpAddon } from './srtp.ts';
import type { SrtpAddon } from './srtp-native.ts';
import type { UdpSocketFd } from './werift-internals.ts';

export const FAST_SEND_MODES = ['batch', 'sendmsg', 'dgram'] as const;
export type FastSendMode = (typeof FAST_SEND_MODES)[number];
export type FastSendFlush = 'packet' | 'tick';

export interface FastSendConfig {
  /** What is in use (after falling back). */
  mode: FastSendMode;
  /** What `FAST_SEND` asked for. */
  requested: FastSendMode;
  flush: FastSendFlush;
  /** Why this mode, for the log. */
  detail: string;
}

/** Datagrams per native call (UIO_MAXIOV, the addon's limit). */
export const MAX_BATCH = 1024;
/** Int32 slots per datagram in the descriptor array (must match kDescStride in the addon). */
export const DESC_STRIDE = 8;
/** Scratch memory; a batch that would not fit is flushed first. */
const SCRATCH_BYTES = 1024 * 1024;

const EAGAIN = constants.errno.EAGAIN;
const ENOBUFS = constants.errno.ENOBUFS;

/**
 * The send mode from the `FAST_SEND` / `FAST_SEND_FLUSH` settings (validated in config.ts; an
 * unknown value throws here too, naming it) and what this machine's addon can do.
 */
export function resolveFastSend(
  env: Record<string, string | undefined> = {},
  /** The addon to use (null: none, as with the JS SRTP backend). */
  addon: SrtpAddon | null = nativeSrtpAddon() ?? null,
): FastSendConfig {
  const requested = env.FAST_SEND ?? 'batch';
  if (!(FAST_SEND_MODES as readonly string[]).includes(requested)) {
    throw new Error(`FAST_SEND must be one of ${FAST_SEND_MODES.join(', ')}, got "${requested}"`);
  }
  const flush = env.FAST_SEND_FLUSH ?? 'packet';
  if (flush !== 'packet' && flush !== 'tick') {
    throw new Error(`FAST_SEND_FLUSH must be "packet" or "tick", got "${flush}"`);
  }
  const req = requested as FastSendMode;
  if (req === 'dgram') return { mode: 'dgram', requested: req, flush, detail: 'FAST_SEND=dgram' };
  if (!addon) {
    return { mode: 'dgram', requested: req, flush, detail: 'native SRTP addon not in use' };
  }
  if (typeof addon.sendBatch !== 'function') {
    return { mode: 'dgram', requested: req, flush, detail: 'addon has no sendBatch (not Linux?)' };
  }
  const how = req === 'batch' ? 'sendmmsg per socket' : 'sendmsg per datagram';
  return { mode: req, requested: req, flush, detail: `${how}, flush per ${flush}` };
}

/** Where one subscriber's datagrams go: its ICE socket's fd and the peer (IPv4). */
export interface BatchDestination extends UdpSocketFd {
  batch: true;
  socket: object;
  address: string;
  port: number;
  /** The peer address as a host-order IPv4 number, stored as int32. */
  ip: number;
}

/** Dotted-quad IPv4 as int32 (host order), or undefined for anything else (IPv6, names). */
export function ipv4ToInt(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    v = (v << 8) | n;
  }
  return v | 0;
}

export interface FastSendStats {
  mode: FastSendMode;
  /** Native calls made. */
  batches: number;
  /** Datagrams handed to those calls. */
  datagrams: number;
  /** Datagrams sent through dgram on a batch-mode forwarder (subscriber socket not usable). */
  dgramFallbacks: number;
  errors: { eagain: number; enobufs: number; other: number };
}

/**
 * One node-wide batch: scratch memory for the encrypted datagrams, their descriptors, and the
 * subscriber each belongs to (for counters when the kernel refuses one).
 */
export class BatchSender {
  readonly mode: 'batch' | 'sendmsg';
  readonly scratch: Buffer;
  readonly stats: FastSendStats;
  private readonly addon: SrtpAddon & Required<Pick<SrtpAddon, 'sendBatch'>>;
  private readonly desc = new Int32Array(MAX_BATCH * DESC_STRIDE);
  private readonly subs: Array<FastSubscriber | undefined> = new Array(MAX_BATCH);
  private readonly dests: Array<BatchDestination | undefined> = new Array(MAX_BATCH);
  private readonly flushMode: FastSendFlush;
  private readonly flushTask = () => this.flushScheduled();
  private count = 0;
  private used = 0;
  private scheduled = false;

  constructor(config: FastSendConfig, addon: SrtpAddon | undefined = nativeSrtpAddon()) {
    if (config.mode === 'dgram' || typeof addon?.sendBatch !== 'function') {
      throw new Error('BatchSender needs a batch mode and an addon with sendBatch');
    }
    this.mode = config.mode;
    this.flushMode = config.flush;
    this.addon = addon as SrtpAddon & Required<Pick<SrtpAddon, 'sendBatch'>>;
    this.scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    this.stats = {
      mode: config.mode,
      batches: 0,
      datagrams: 0,
      dgramFallbacks: 0,
      errors: { eagain: 0, enobufs: 0, other: 0 },
    };
  }

  /** Datagrams waiting for the next flush. */
  get pending(): number {
    return this.count;
  }

  /**
   * The scratch offset where a datagram of up to `bytes` may be written now (flushes first when
   * the batch is full). The space is taken by `push`; until then it may be overwritten.
   */
  reserve(bytes: number): number {
    if (this.count === MAX_BATCH || this.used + bytes > this.scratch.length) this.flush();
    return this.used;
  }

  /** Queues `scratch[offset, offset + len)` for `dest`; sent at the next flush. */
  push(sub: FastSubscriber, dest: BatchDestination, offset: number, len: number): void {
    const i = this.count++;
    const d = this.desc;
    const o = i * DESC_STRIDE;
    d[o] = dest.fd;
    d[o + 1] = offset;
    d[o + 2] = len;
    d[o + 3] = dest.port;
    d[o + 4] = dest.ip;
    d[o + 5] = 0;
    this.subs[i] = sub;
    this.dests[i] = dest;
    this.used = (offset + len + 7) & ~7;
    if (!this.scheduled) {
      this.scheduled = true;
      if (this.flushMode === 'tick') setImmediate(this.flushTask);
      else queueMicrotask(this.flushTask);
    }
  }

  /** Sends everything queued in one native call; never throws for send errors. */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    const d = this.desc;
    const dests = this.dests;
    // A socket closed since its datagram was queued: its fd may already belong to something else.
    let last: BatchDestination | undefined;
    for (let i = 0; i < count; i++) {
      const dest = dests[i] as BatchDestination;
      if (dest === last) continue;
      if (dest.state.handle !== dest.handle) d[i * DESC_STRIDE] = -1;
      else last = dest;
    }
    const failed = this.addon.sendBatch(this.scratch, d, count, this.mode === 'sendmsg' ? 1 : 0);
    this.stats.batches++;
    this.stats.datagrams += count;
    if (failed !== 0) this.account(count, failed);
    this.count = 0;
    this.used = 0;
    this.subs.fill(undefined, 0, count);
    dests.fill(undefined, 0, count);
  }

  private account(count: number, failed: number): void {
    const d = this.desc;
    const errors = this.stats.errors;
    if (failed < 0) {
      // Bad arguments (a bug here): nothing was sent.
      errors.other += count;
      for (let i = 0; i < count; i++) {
        this.subs[i]?.unsend(d[i * DESC_STRIDE + 2] as number, 'send batch refused');
      }
      return;
    }
    for (let i = 0; i < count; i++) {
      const err = d[i * DESC_STRIDE + 5] as number;
      if (err === 0) continue;
      if (err === EAGAIN) errors.eagain++;
      else if (err === ENOBUFS) errors.enobufs++;
      else errors.other++;
      this.subs[i]?.unsend(d[i * DESC_STRIDE + 2] as number, `send errno ${err}`);
    }
  }

  private flushScheduled(): void {
    this.scheduled = false;
    try {
      this.flush();
    } catch {
      // Not reachable for send errors (counted above); a throwing addon must not kill the node.
      this.stats.errors.other += this.count;
      this.count = 0;
      this.used = 0;
    }
  }
}
