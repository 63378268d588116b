/**
 * The only place where werift peer-connection configurations are built (node and loopback
 * test clients alike), so that no configuration can fall back to werift's defaults.
 *
 * werift quirks this module exists for (0.25.2, see PLATFORM-NOTES):
 * - Without a STUN server werift uses `stun.l.google.com:19302`, and `iceServers: []` does not
 *   turn that off (the ICE agent falls back to its built-in default). Full ICE therefore always
 *   gets an explicit STUN url; ICE-lite never queries STUN at all.
 * - Host addresses come from `os.networkInterfaces()` and `iceInterfaceAddresses` only filters
 *   them when a match exists, so a loopback address would silently yield *every* interface.
 *   We switch interface enumeration off (`iceUseIpv4/6: false`) and list the one address we
 *   want in `iceAdditionalHostAddresses`: exactly one host candidate. ICE-lite with more than
 *   one local candidate connected ICE but never completed DTLS.
 * - The default `bundlePolicy` is `max-compat` (one ICE+DTLS transport per m-line).
 */
import { isIPv6 } from 'node:net';
import type { PeerConfig } from 'werift';
import type { IceServer } from '../../../shared/api.ts';
import { weriftCodecs } from './sdp/codec-table.ts';
import { weriftHeaderExtensions } from './sdp/header-extensions.ts';

/** ICE settings of a media node, from its environment. */
export interface NodeIceOptions {
  /** Advertise ICE-lite (one host candidate, controlled role). */
  lite: boolean;
  /** The single host address gathered and advertised (socket bound to it). */
  address: string;
  /** STUN/TURN servers for full ICE; must not be empty then (see module comment). */
  servers: IceServer[];
  /** Inclusive UDP port range for ICE sockets. */
  portRange?: [number, number] | undefined;
  /**
   * The node's one ICE-TCP port (passive candidates on `address`, served by ice-tcp/ice-tcp-mux.ts);
   * undefined: UDP only.
   */
  tcpPort?: number | undefined;
}

/** Seconds a full-ICE agent waits for server-reflexive candidates. */
const FULL_ICE_STUN_GATHER_TIMEOUT_S = 1;
/** A loopback STUN url nobody answers: satisfies werift without leaving the machine. */
export const LOOPBACK_STUN_URL = 'stun:127.0.0.1:9';

/**
 * The codecs every peer of this platform negotiates (sdp/codec-table.ts). Forwarding never
 * transcodes: each subscription is restricted to its publisher's codec (session.ts).
 */
function codecs(): PeerConfig['codecs'] {
  return weriftCodecs();
}

function singleHost(address: string): Partial<PeerConfig> {
  return {
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceUseTcp: false,
    iceAdditionalHostAddresses: [address],
    iceInterfaceAddresses: isIPv6(address) ? { udp6: address } : { udp4: address },
  };
}

/** True when `servers` names at least one STUN or TURN url (werift's default is then unused). */
export function hasIceServer(servers: IceServer[]): boolean {
  return servers.some((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^(stun|turns?):/.test(u)),
  );
}

/** The peer configuration of a media-node session. */
export function nodePeerConfig(ice: NodeIceOptions): Partial<PeerConfig> {
  const base: Partial<PeerConfig> = {
    ...singleHost(ice.address),
    bundlePolicy: 'max-bundle',
    codecs: codecs(),
    headerExtensions: weriftHeaderExtensions(),
    icePortRange: ice.portRange,
    iceUseTcp: ice.tcpPort !== undefined,
  };
  if (ice.lite) return { ...base, iceLite: true, iceServers: [] };
  if (!hasIceServer(ice.servers)) {
    // Falling through would make werift query Google's public STUN server.
    throw new Error('full ICE needs at least one stun:/turn: url in ICE_SERVERS');
  }
  return {
    ...base,
    iceLite: false,
    iceServers: ice.servers,
    iceStunGatherTimeout: FULL_ICE_STUN_GATHER_TIMEOUT_S,
  };
}

/**
 * A full-ICE client that only ever uses 127.0.0.1: one host candidate, a STUN url on loopback
 * that nobody answers and a 200 ms gather timeout (without it werift waits 5 s).
 */
export function loopbackClientPeerConfig(): Partial<PeerConfig> {
  return {
    ...singleHost('127.0.0.1'),
    bundlePolicy: 'max-bundle',
    codecs: codecs(),
    headerExtensions: weriftHeaderExtensions(),
    iceLite: false,
    iceServers: [{ urls: LOOPBACK_STUN_URL }],
    iceStunGatherTimeout: 0.2,
  };
}

/**
 * A loopback client that may only use a TURN relay (`iceTransportPolicy: 'relay'`): werift
 * gathers no host candidate then and allocates on the first `turn:` url of `servers` (one url
 * only: werift ignores the rest). The loopback STUN url stays first so that no configuration
 * can fall back to werift's public default.
 */
export function relayClientPeerConfig(servers: IceServer[]): Partial<PeerConfig> {
  return {
    ...loopbackClientPeerConfig(),
    iceServers: [{ urls: LOOPBACK_STUN_URL }, ...servers],
    iceTransportPolicy: 'relay',
  };
}

/**
 * A loopback client that cannot use UDP (a firewall that drops it): it gathers werift's active
 * TCP candidate beside the UDP one, and only pairs whose local candidate is TCP are checked.
 */
export function tcpOnlyClientPeerConfig(): Partial<PeerConfig> {
  return {
    ...loopbackClientPeerConfig(),
    iceUseTcp: true,
    iceFilterCandidatePair: (pair) => pair.localCandidate.transport === 'tcp',
  };
}
