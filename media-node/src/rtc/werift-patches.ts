/**
 * Fixes for werift 0.25.2 defects (PLATFORM-NOTES), applied to the prototypes of werift's own
 * objects the first time the media node meets one. werift's ESM bundle does not export
 * `NackHandler` or `SenderBandwidthEstimator`, so the prototype is taken from an instance
 * (`receiver.nack`, `sender.senderBWE`). Each patch checks the shape it replaces and leaves a
 * prototype alone when werift changed (a newer werift may have fixed it).
 */

/** TWCC send records kept per sender: feedback arrives every ~100 ms, this is seconds' worth. */
export const BWE_HISTORY = 1_024;
const PRUNE_EVERY = 256;

const patched = new WeakSet<object>();

interface SentInfo {
  wideSeq: number;
}
interface BweLike {
  sentInfos: Record<number, SentInfo>;
  rtpPacketSent(info: SentInfo): void;
}

/**
 * `SenderBandwidthEstimator.rtpPacketSent` meant to drop records older than the new one but
 * iterates `Object.keys(sentInfo)` (the new record's own fields) instead of `this.sentInfos`:
 * with TWCC every sender keeps up to 65,536 records (~6 MB per subscriber). Replaced by: store,
 * and every 256 packets drop what is more than `BWE_HISTORY` transport sequence numbers behind.
 */
export function patchSenderBwe(bwe: unknown): boolean {
  const proto = bwe && Object.getPrototypeOf(bwe);
  if (!proto || patched.has(proto)) return Boolean(proto);
  if (typeof proto.rtpPacketSent !== 'function' || !('sentInfos' in (bwe as object))) return false;
  let inserts = 0;
  proto.rtpPacketSent = function rtpPacketSent(this: BweLike, info: SentInfo) {
    const infos = this.sentInfos;
    infos[info.wideSeq] = info;
    if (++inserts % PRUNE_EVERY !== 0) return;
    for (const key in infos) {
      if (((info.wideSeq - Number(key)) & 0xffff) > BWE_HISTORY) delete infos[key];
    }
  };
  patched.add(proto);
  return true;
}

interface NackLike {
  _lost: Record<number, number>;
  newEstSeqNum: number;
}

/**
 * `NackHandler.lostSeqNumbers` sorts with `Array.prototype.sort()` (as strings): 10 before 9, and
 * `GenericNack.serialize` needs ascending order to pack neighbours into one PID + bitmask, so a
 * NACK grew one FCI per sequence number. Replaced by a numeric order that is also wrap-aware
 * (65535 before 0): oldest first, relative to the newest sequence number seen.
 */
export function patchNackHandler(nack: unknown): boolean {
  const proto = nack && Object.getPrototypeOf(nack);
  if (!proto || patched.has(proto)) return Boolean(proto);
  const desc = Object.getOwnPropertyDescriptor(proto, 'lostSeqNumbers');
  if (!desc?.get || !('_lost' in (nack as object))) return false;
  Object.defineProperty(proto, 'lostSeqNumbers', {
    configurable: true,
    get(this: NackLike) {
      const newest = this.newEstSeqNum;
      return Object.keys(this._lost)
        .map(Number)
        .sort((a, b) => ((newest - b) & 0xffff) - ((newest - a) & 0xffff));
    },
  });
  patched.add(proto);
  return true;
}

interface RestartableIce {
  connection: { nominated?: unknown };
  start(): Promise<void>;
}
interface DtlsOverIce {
  state: string;
  iceTransport: RestartableIce;
}

/**
 * ICE restart: werift restarts an ICE agent when the remote ufrag/password change (new local
 * credentials, state `new`), but `RTCPeerConnection.connect()` skips every transport whose DTLS
 * is still `connected`, so the restarted agent never runs: an ICE-lite node parks the client's
 * new checks as "early checks" forever, a full agent sends none. DTLS and SRTP survive a restart
 * (RFC 8445 9: only ICE starts over), so only ICE must be started again. Starts the agents left
 * idle this way; each returned promise settles when its agent connected or failed.
 */
export function startRestartedIce(transports: readonly DtlsOverIce[]): Array<Promise<void>> {
  const started: Array<Promise<void>> = [];
  for (const dtls of transports) {
    const ice = dtls.iceTransport;
    // A restarted agent has no nominated pair (its state says `completed` once it gathered).
    if (dtls.state !== 'connected' || ice.connection.nominated) continue;
    started.push(ice.start());
  }
  return started;
}

interface NackInstance {
  addPacket(packet: { header: { ssrc: number } }): void;
  close(): void;
}

/** SSRCs a simulcast receiver keeps a NACK handler for (layers, and a few stray ones). */
const SIMULCAST_NACK_SSRCS = 6;
const simulcastReceivers = new WeakSet<object>();

/**
 * werift keeps one NACK handler per receiver and feeds it every packet the receiver gets: with
 * simulcast, the sequence numbers of three SSRCs interleave, each jump between them looked like
 * thousands of lost packets, and the handler NACKed them every 5 ms to whichever SSRC came last.
 * A simulcast receiver gets one handler per SSRC instead (werift's own class, so the ordering
 * patch above applies); `close()` closes them all. Per instance, not per prototype.
 */
export function patchSimulcastNack(receiver: unknown): boolean {
  const r = receiver as { nack?: unknown } | undefined;
  const nack = r?.nack as NackInstance | undefined;
  if (!r || !nack || simulcastReceivers.has(r)) return false;
  if (typeof nack.addPacket !== 'function' || typeof nack.close !== 'function') return false;
  const Handler = nack.constructor as new (receiver: unknown) => NackInstance;
  const bySsrc = new Map<number, NackInstance>();
  const closeOriginal = nack.close.bind(nack);
  nack.addPacket = (packet) => {
    const ssrc = packet.header.ssrc;
    let handler = bySsrc.get(ssrc);
    if (!handler) {
      if (bySsrc.size >= SIMULCAST_NACK_SSRCS) return;
      handler = new Handler(receiver);
      patchNackHandler(handler);
      bySsrc.set(ssrc, handler);
    }
    handler.addPacket(packet);
  };
  nack.close = () => {
    closeOriginal();
    for (const handler of bySsrc.values()) handler.close();
    bySsrc.clear();
  };
  simulcastReceivers.add(r);
  return true;
}
