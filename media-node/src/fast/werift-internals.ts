import type { Socket } from 'node:dgram';
import { isSrtpProfile, masterSaltLength, type SrtpProfile } from './srtp-types.ts';

/*
 * The private werift 0.25.2 state the fast path relies on. None of it is public API, so every
 * piece is checked at runtime and a missing or differently shaped piece makes the probe refuse
 * with a reason: the media node then keeps the stock `sender.sendRtp` path for that subscriber.
 *
 *   RTCRtpSender.ssrc                        number, the SSRC the subscriber expects
 *   RTCRtpSender.dtlsTransport               RTCDtlsTransport (set by setDtlsTransport)
 *   RTCDtlsTransport.state                   'connected' once SRTP keys exist
 *   RTCDtlsTransport.srtp                    SrtpSession, replaced by updateSrtpSession()
 *     .config.profile                        1 (AES_CM_128_HMAC_SHA1_80) or 7 (AEAD_AES_128_GCM)
 *     .config.keys.localMasterKey / localMasterSalt   Buffers from the DTLS exporter
 *                                                     (RFC 5764 4.2): our sending direction
 *     .localContext.srtpSSRCStates[ssrc]     { rolloverCounter, lastSequenceNumber } of the stock
 *                                            sender, to take over an SSRC mid-stream
 *   RTCDtlsTransport.iceTransport.connection ice Connection (werift/lib/ice/src/ice.js)
 *     .canSendApplicationData()              false without fresh consent (RFC 7675) or when
 *                                            closed/failed: Connection.send checks it too
 *     .nominated                             CandidatePair in use; may change (ICE restart)
 *       .remoteAddr                          [host, port] (a getter building a new array from
 *       .remoteCandidate.host / .port         these, compared to reuse the last route)
 *       .protocol.type                       'stun' for plain UDP (TURN and TCP are refused:
 *                                            they need framing/relaying werift does in sendData)
 *       .protocol.transport.type             'udp'
 *       .protocol.transport.closed           boolean
 *       .protocol.transport.socket           the dgram.Socket werift's ICE reads and writes
 *
 * And the private Node (24) state of that dgram.Socket the batched sender (fast-send.ts) needs,
 * checked the same way (`udpSocketFd` below; missing or differently shaped: that subscriber's
 * packets go through `socket.send` as before):
 *
 *   dgram.Socket[Symbol(state symbol)]       own symbol property (lib/internal/dgram.js
 *                                            `kStateSymbol`), found by its description
 *     .handle                                the UDPWrap; null once the socket is closed
 *       .fd                                  the OS socket (libuv `uv_fileno`), < 0 before bind
 *   dgram.Socket.type                        'udp4' (datagrams are addressed with sockaddr_in)
 *
 * `socket._handle` reaches the same UDPWrap but is a deprecated accessor (DEP0112): its first use
 * prints a DeprecationWarning, so it is not used.
 */

/** What the fast path needs from one subscriber transport, resolved from werift's objects. */
export interface WeriftSendPath {
  profile: SrtpProfile;
  masterKey: Buffer;
  masterSalt: Buffer;
  /** werift's SrtpSession object: when it is replaced, the keys changed. */
  srtpSession: object;
  /** Resolves the socket and address to send to now, or a reason not to send this packet. */
  route(): Route | string;
  /** ROC state of the stock sender for `ssrc`, if it ever sent on it. */
  stockRoc(ssrc: number): { roc: number; lastSeq: number } | undefined;
}

export interface Route {
  socket: Socket;
  address: string;
  port: number;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/**
 * Checks a werift RTCDtlsTransport (e.g. `transceiver.sender.dtlsTransport`) and returns its send
 * path, or the reason the fast path cannot use it.
 */
export function probeWeriftTransport(dtlsTransport: unknown): WeriftSendPath | string {
  if (!isObj(dtlsTransport)) return 'no dtlsTransport';
  if (dtlsTransport.state !== 'connected') return `dtls state ${String(dtlsTransport.state)}`;
  const srtp = dtlsTransport.srtp;
  if (!isObj(srtp) || !isObj(srtp.config) || !isObj(srtp.config.keys)) return 'no srtp.config.keys';
  const { profile, keys } = srtp.config;
  if (!isSrtpProfile(profile)) return `unsupported SRTP profile ${String(profile)}`;
  const masterKey = keys.localMasterKey;
  const masterSalt = keys.localMasterSalt;
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== 16) return 'no localMasterKey';
  if (!Buffer.isBuffer(masterSalt) || masterSalt.length < masterSaltLength(profile)) {
    return 'no localMasterSalt';
  }
  const ice = dtlsTransport.iceTransport;
  const connection = isObj(ice) ? ice.connection : undefined;
  if (!isObj(connection) || typeof connection.canSendApplicationData !== 'function') {
    return 'no iceTransport.connection.canSendApplicationData';
  }
  const conn = connection as Obj & { canSendApplicationData(): boolean };
  const path: WeriftSendPath = {
    profile,
    masterKey,
    masterSalt,
    srtpSession: srtp,
    route: cachedRoute(conn),
    stockRoc: (ssrc) => {
      const local = srtp.localContext;
      const states = isObj(local) ? local.srtpSSRCStates : undefined;
      const s = isObj(states) ? states[ssrc] : undefined;
      if (!isObj(s) || typeof s.rolloverCounter !== 'number') return undefined;
      if (typeof s.lastSequenceNumber !== 'number') return undefined;
      return { roc: s.rolloverCounter, lastSeq: s.lastSequenceNumber };
    },
  };
  // Refuse now rather than on the first packet when the selected pair is not plain UDP.
  const route = path.route();
  return typeof route === 'string' ? route : path;
}

/**
 * `routeOf` per packet without its allocations (werift's `remoteAddr` getter builds an array):
 * consent is asked every time; the last route is reused while the nominated pair, its protocol,
 * transport, socket and remote candidate are the same objects and values and the transport is
 * open.
 */
function cachedRoute(conn: Obj & { canSendApplicationData(): boolean }): () => Route | string {
  let pair: unknown;
  let protocol: Obj | undefined;
  let transport: Obj | undefined;
  let candidate: Obj | undefined;
  let route: Route | undefined;
  return () => {
    if (!conn.canSendApplicationData()) return 'no ICE consent';
    const p = conn.nominated as Obj | undefined;
    if (
      route !== undefined &&
      p !== undefined &&
      p === pair &&
      p.protocol === protocol &&
      protocol?.transport === transport &&
      transport?.closed !== true &&
      transport?.socket === route.socket &&
      p.remoteCandidate === candidate &&
      candidate?.host === route.address &&
      candidate?.port === route.port
    ) {
      return route;
    }
    const r = routeOf(conn);
    if (typeof r === 'string' || !isObj(p) || !isObj(p.protocol)) {
      route = undefined;
      return r;
    }
    pair = p;
    protocol = p.protocol;
    transport = isObj(protocol.transport) ? protocol.transport : undefined;
    candidate = isObj(p.remoteCandidate) ? p.remoteCandidate : undefined;
    route = candidate ? r : undefined; // no candidate object to compare: never reuse
    return r;
  };
}

/** The socket werift's nominated pair sends on, checked per packet (the pair can change). */
function routeOf(conn: Obj & { canSendApplicationData(): boolean }): Route | string {
  if (!conn.canSendApplicationData()) return 'no ICE consent';
  const pair = conn.nominated;
  if (!isObj(pair) || !isObj(pair.protocol)) return 'no nominated pair';
  const { protocol } = pair;
  if (protocol.type !== 'stun') return `pair protocol ${String(protocol.type)}`;
  const transport = protocol.transport;
  if (!isObj(transport) || transport.type !== 'udp' || transport.closed === true) {
    return 'pair transport is not an open UDP socket';
  }
  const socket = transport.socket as Socket | undefined;
  if (typeof socket?.send !== 'function') return 'no dgram socket';
  const addr = pair.remoteAddr;
  if (!Array.isArray(addr) || typeof addr[0] !== 'string' || typeof addr[1] !== 'number') {
    return 'no remoteAddr';
  }
  return { socket, address: addr[0], port: addr[1] };
}

/** A dgram socket's OS fd and the objects that prove it is still the same open socket. */
export interface UdpSocketFd {
  fd: number;
  /** `socket[kStateSymbol]`: its `handle` becomes null (or another UDPWrap) when closed. */
  state: { handle: unknown };
  /** The UDPWrap the fd belongs to. */
  handle: unknown;
}

let stateSymbol: symbol | undefined;

/** The fd of an open, bound udp4 dgram socket, or why it is unavailable. */
export function udpSocketFd(socket: Socket): UdpSocketFd | string {
  const type = (socket as unknown as { type?: unknown }).type;
  if (type !== 'udp4') return `socket type ${String(type)}`;
  const sock = socket as unknown as Record<symbol, unknown>;
  if (stateSymbol === undefined || !isObj(sock[stateSymbol])) {
    stateSymbol = Object.getOwnPropertySymbols(socket).find(
      (s) => s.description === 'state symbol',
    );
  }
  const state = stateSymbol === undefined ? undefined : sock[stateSymbol];
  if (!isObj(state) || !('handle' in state)) return 'no dgram state symbol';
  const handle = state.handle;
  if (!isObj(handle)) return 'dgram socket closed';
  const fd = handle.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) return 'no dgram fd';
  return { fd, state: state as { handle: unknown }, handle };
}
