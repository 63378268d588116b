/**
 * Admission of a session's inbound UDP datagrams by source (issue 12, item 1).
 *
 * werift hands every datagram of a session's socket that does not parse as STUN to DTLS and
 * SRTP, whatever its source address: ~20 stray datagrams in DTLS's first-byte range (20-63) from
 * anywhere ended an established session's media for good. And it answers any binding request
 * without checking MESSAGE-INTEGRITY (so a forged USE-CANDIDATE could move the selected pair).
 * The guard sits in front of werift's own datagram handler:
 *
 * - a binding request is passed on only when authenticated with our ICE credentials
 *   (stun-auth.ts); its source then becomes a *validated* address of the session (RFC 8445: a
 *   check with valid credentials is what makes a pair valid; ICE-lite has no other way);
 * - other STUN (responses, which werift matches to its own transactions and verifies) passes;
 * - everything else (DTLS, SRTP, SRTCP, junk) passes only from a validated address, or from the
 *   pair werift nominated (full ICE, where our own check validated it).
 *
 * Dropped datagrams are counted by bounded reason. The accepted path costs two comparisons
 * (last admitted host and port) per packet.
 *
 * Every datagram admitted from a validated source also counts in {@link heard} (a plain integer,
 * no clock read per packet): a peer whose count stops moving sends neither consent checks
 * (RFC 7675, every ~5 s) nor media, and is gone.
 *
 * ICE restart: werift then makes new local credentials (and keeps every old one in
 * `userHistory`, answering checks with them forever). The guard accepts our current ufrag, and
 * the one before it only while the restart is pending (the client's old path may still check);
 * once the session says the restart completed ({@link restartCompleted}), the old ufrag and every
 * address but the newly nominated one are forgotten: checks with the old ufrag count as
 * `bad_stun`, media from the old address as `unknown_source`.
 */
import { type IceCredentials, isAuthenticatedBinding, isStunRange, stunKind } from './stun-auth.ts';

/** Why a datagram was dropped (the bounded `reason` label of `media_udp_dropped_total`). */
export const UDP_DROP_REASONS = ['unknown_source', 'bad_stun', 'malformed_stun'] as const;
export type UdpDropReason = (typeof UDP_DROP_REASONS)[number];
/** Plain integers on the receive path, folded into prom-client at scrape time. */
export type UdpDropCounters = Record<UdpDropReason, number>;

export function createUdpDropCounters(): UdpDropCounters {
  return { unknown_source: 0, bad_stun: 0, malformed_stun: 0 };
}

/** Validated remote addresses kept per session (a peer uses one or two; this is a bound). */
const MAX_VALIDATED = 8;

type Address = readonly [string, number];

/** The werift ICE agent fields the guard reads (werift 0.25.2 `Connection`, checked at install). */
interface IceAgent {
  localUsername: string;
  localPassword: string;
  nominated?: { remoteAddr?: unknown } | undefined;
}

interface Credentials {
  ufrag: string;
  pwd: string;
}

export class UdpSourceGuard {
  readonly #agent: IceAgent;
  readonly #drops: UdpDropCounters;
  readonly #credentials: IceCredentials;
  readonly #validated: Array<[string, number]> = [];
  #lastHost = '';
  #lastPort = -1;
  /** Our credentials as last seen on the agent, and the generation before (restart pending). */
  #current: Credentials;
  #previous: Credentials | undefined;
  /** Datagrams admitted from a validated source (authenticated checks, media, DTLS). */
  heard = 0;

  constructor(agent: IceAgent, drops: UdpDropCounters) {
    this.#agent = agent;
    this.#drops = drops;
    this.#current = { ufrag: agent.localUsername, pwd: agent.localPassword };
    this.#credentials = {
      get ufrag() {
        return agent.localUsername;
      },
      passwordFor: (ufrag) => {
        this.#sync();
        if (ufrag === this.#current.ufrag) return this.#current.pwd;
        return ufrag === this.#previous?.ufrag ? this.#previous.pwd : undefined;
      },
    };
  }

  /**
   * The ICE restart completed (a new pair is nominated): forget the old credentials and every
   * validated address but the nominated one.
   */
  restartCompleted(): void {
    this.#sync();
    this.#previous = undefined;
    const nominated = this.#agent.nominated?.remoteAddr;
    this.#validated.length = 0;
    this.#lastHost = '';
    this.#lastPort = -1;
    if (Array.isArray(nominated) && typeof nominated[0] === 'string') {
      this.#validate(nominated[0], Number(nominated[1]));
    }
  }

  /** Learns new local credentials (werift changed them on restart); the old ones stay pending. */
  #sync(): void {
    const ufrag = this.#agent.localUsername;
    if (ufrag === this.#current.ufrag) return;
    this.#previous = this.#current;
    this.#current = { ufrag, pwd: this.#agent.localPassword };
  }

  /** True when werift may see `data` from `addr`; counts the drop otherwise. */
  admit(data: Buffer, addr: Address): boolean {
    const [host, port] = addr;
    if (!isStunRange(data)) {
      if ((port === this.#lastPort && host === this.#lastHost) || this.#known(host, port)) {
        this.heard++;
        return true;
      }
      this.#drops.unknown_source++;
      return false;
    }
    const kind = stunKind(data);
    if (kind === 'malformed') {
      this.#drops.malformed_stun++;
      return false;
    }
    if (kind === 'other_stun') return true;
    if (!isAuthenticatedBinding(data, this.#credentials)) {
      this.#drops.bad_stun++;
      return false;
    }
    this.#validate(host, port);
    this.heard++;
    return true;
  }

  /** The addresses validated so far (tests, logs). */
  get validated(): ReadonlyArray<readonly [string, number]> {
    return this.#validated;
  }

  #known(host: string, port: number): boolean {
    for (const [h, p] of this.#validated) {
      if (p === port && h === host) return this.#remember(host, port);
    }
    const nominated = this.#agent.nominated?.remoteAddr;
    if (Array.isArray(nominated) && nominated[0] === host && nominated[1] === port) {
      this.#validate(host, port);
      return true;
    }
    return false;
  }

  #validate(host: string, port: number): void {
    if (!this.#validated.some(([h, p]) => p === port && h === host)) {
      if (this.#validated.length >= MAX_VALIDATED) this.#validated.shift();
      this.#validated.push([host, port]);
    }
    this.#remember(host, port);
  }

  #remember(host: string, port: number): true {
    this.#lastHost = host;
    this.#lastPort = port;
    return true;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/**
 * Puts `guard` in front of every UDP socket of a werift ICE agent (`iceTransport.connection`):
 * werift 0.25.2's `StunProtocol` receives through `transport.onData(data, [host, port])`.
 * Returns the number of sockets guarded, or why the agent's shape is not the expected one (the
 * caller must then refuse the session: unguarded media can be ended by anyone).
 */
export function installUdpSourceGuard(connection: unknown, guard: UdpSourceGuard): number | string {
  if (!isObj(connection)) return 'no ICE connection';
  if (
    typeof connection.localUsername !== 'string' ||
    typeof connection.localPassword !== 'string'
  ) {
    return 'no ICE credentials';
  }
  const protocols = connection.protocols;
  if (!Array.isArray(protocols)) return 'no ICE protocols';
  let guarded = 0;
  for (const protocol of protocols as unknown[]) {
    if (!isObj(protocol) || protocol.type !== 'stun') continue;
    const transport = protocol.transport;
    if (!isObj(transport) || typeof transport.onData !== 'function') return 'no UDP transport';
    if (guarded_.has(transport)) {
      guarded++;
      continue;
    }
    const next = transport.onData as (data: Buffer, addr: Address) => void;
    transport.onData = (data: Buffer, addr: Address) => {
      if (guard.admit(data, addr)) next(data, addr);
    };
    guarded_.add(transport);
    guarded++;
  }
  return guarded > 0 ? guarded : 'no UDP socket';
}

const guarded_ = new WeakSet<object>();

/** Exposed for the session: the werift agent of its (bundled) transport. */
export function iceAgentOf(iceTransport: unknown): IceAgent | undefined {
  const connection = isObj(iceTransport) ? iceTransport.connection : undefined;
  return isObj(connection) && typeof connection.localUsername === 'string'
    ? (connection as unknown as IceAgent)
    : undefined;
}
