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
 *       .remoteAddr                          [host, port]
 *       .protocol.type                       'stun' for plain UDP (TURN and TCP are refused:
 *                                            they need framing/relaying werift does in sendData)
 *       .protocol.transport.type             'udp'
 *       .protocol.transport.closed           boolean
 *       .protocol.transport.socket           the dgram.Socket werift's ICE reads and writes
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
    route: () => routeOf(conn),
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
