/**
 * A werift client changing networks, the way a laptop moving from one Wi-Fi to another looks to
 * the media node: its old socket is gone (closed, so nothing more is sent or received on it) and
 * the next ICE gathering binds a new one on another address. werift has no API for this, so the
 * helper edits its ICE agent (`iceTransport.connection`, werift 0.25.2): the restart offer the
 * SDK then makes gathers a host candidate on `address` only. A browser whose network interface
 * goes away reports ICE `disconnected` at once; werift would only notice when consent expires
 * (30 s), so the helper reports it the same way (the ICE transport's state, which werift folds
 * into the connection state).
 */
import type { RTCPeerConnection } from 'werift';

interface Protocol {
  localIp?: string;
  close(): Promise<void>;
}

interface IceTransport {
  connection: unknown;
  setState(state: 'disconnected'): void;
}

interface Agent {
  protocols: Protocol[];
  options: {
    additionalHostAddresses?: string[];
    interfaceAddresses?: Record<string, string>;
  };
}

/** Closes `pc`'s UDP sockets and makes its next gathering use `address` (loopback only). */
export async function moveToAddress(pc: RTCPeerConnection, address: string): Promise<void> {
  if (!address.startsWith('127.')) throw new Error(`tests stay on loopback, not ${address}`);
  for (const transport of pc.iceTransports as unknown as IceTransport[]) {
    const agent = transport.connection as Agent;
    if (!Array.isArray(agent.protocols) || typeof agent.options !== 'object') {
      throw new Error('werift ICE agent has an unexpected shape');
    }
    const old = agent.protocols.splice(0);
    agent.options.additionalHostAddresses = [address];
    agent.options.interfaceAddresses = { udp4: address };
    await Promise.all(old.map((p) => p.close().catch(() => {})));
    transport.setState('disconnected');
  }
}
