/**
 * werift client peers that are safe on loopback: full ICE with exactly one host candidate on
 * 127.0.0.1, a STUN url on loopback that nobody answers (werift would otherwise ask Google's
 * public server) and a 200 ms gather timeout, max-bundle. The configuration itself comes from
 * the one module that builds werift configs (media-node/src/rtc/peer-config.ts).
 */
import type { AddressInfo } from 'node:net';
import { RTCPeerConnection } from 'werift';
import { loopbackClientPeerConfig } from '../../media-node/src/rtc/peer-config.ts';

/**
 * A new loopback-only client peer connection. `rtx: false` leaves RTX (RFC 4588) out of its
 * codecs, as a client that does not implement it (it then gets plain retransmissions);
 * `extensions: false` negotiates no RTP header extension (and so no `transport-cc` feedback,
 * which needs the transport-cc extension), as a client that estimates nothing (REMB-less too).
 */
export function createLoopbackPeer(
  options: { rtx?: boolean; extensions?: boolean } = {},
): RTCPeerConnection {
  const config = loopbackClientPeerConfig();
  if (options.rtx === false && config.codecs?.video) {
    config.codecs.video = config.codecs.video.filter((c) => c.name.toLowerCase() !== 'rtx');
  }
  if (options.extensions === false) {
    config.headerExtensions = { audio: [], video: [] };
    for (const codec of [...(config.codecs?.audio ?? []), ...(config.codecs?.video ?? [])]) {
      codec.rtcpFeedback = codec.rtcpFeedback.filter((f) => f.type !== 'transport-cc');
    }
  }
  return new RTCPeerConnection(config);
}

/** Resolves once ICE gathering is complete (about 200 ms: the loopback STUN timeout). */
export function waitForGathering(pc: RTCPeerConnection, timeoutMs = 5_000): Promise<void> {
  return waitForState(
    pc.iceGatheringStateChange,
    () => pc.iceGatheringState,
    'complete',
    timeoutMs,
    'ICE gathering',
  );
}

/** Resolves once the peer connection is `connected` (ICE + DTLS). */
export function waitForConnected(pc: RTCPeerConnection, timeoutMs = 10_000): Promise<void> {
  return waitForState(
    pc.connectionStateChange,
    () => pc.connectionState,
    'connected',
    timeoutMs,
    'connection',
  );
}

interface StateEvent<S> {
  subscribe(fn: (s: S) => void): { unSubscribe: () => void };
}

function waitForState<S extends string>(
  event: StateEvent<S>,
  current: () => S,
  target: S,
  timeoutMs: number,
  what: string,
): Promise<void> {
  if (current() === target) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const { unSubscribe } = event.subscribe((s) => {
      if (s !== target) return;
      clearTimeout(timer);
      unSubscribe();
      resolve();
    });
    const timer = setTimeout(() => {
      unSubscribe();
      reject(new Error(`${what} not ${target} within ${timeoutMs} ms (now ${current()})`));
    }, timeoutMs);
  });
}

/**
 * The local addresses of the UDP sockets werift opened for `pc` (reads werift internals: there
 * is no public API). Tests assert they are all 127.0.0.1, i.e. no packet can leave loopback.
 */
export function localSocketAddresses(pc: RTCPeerConnection): AddressInfo[] {
  const out: AddressInfo[] = [];
  for (const transport of pc.iceTransports) {
    // biome-ignore lint/suspicious/noExplicitAny: werift keeps its sockets in untyped internals.
    const protocols = (transport.connection as any).protocols as Array<{
      transport?: { socket?: { address(): AddressInfo } };
    }>;
    for (const p of protocols) {
      const socket = p.transport?.socket;
      if (socket) out.push(socket.address());
    }
  }
  return out;
}
