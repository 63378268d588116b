import { describe, expect, it } from 'vitest';
import { LOOPBACK_STUN_URL, loopbackClientPeerConfig, nodePeerConfig } from './peer-config.ts';

describe('peer configurations', () => {
  it('ICE-lite node: one host address, no interface enumeration, max-bundle', () => {
    const c = nodePeerConfig({ lite: true, address: '10.0.0.5', servers: [] });
    expect(c).toMatchObject({
      iceLite: true,
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['10.0.0.5'],
      iceInterfaceAddresses: { udp4: '10.0.0.5' },
      bundlePolicy: 'max-bundle',
    });
  });

  it('full ICE without a server is refused instead of falling back to public STUN', () => {
    expect(() => nodePeerConfig({ lite: false, address: '127.0.0.1', servers: [] })).toThrow(
      /stun/,
    );
    const c = nodePeerConfig({
      lite: false,
      address: '::1',
      servers: [{ urls: 'turn:127.0.0.1:3478' }],
    });
    expect(c.iceInterfaceAddresses).toEqual({ udp6: '::1' });
    expect(c.iceServers).toEqual([{ urls: 'turn:127.0.0.1:3478' }]);
  });

  it('loopback client: full ICE against a loopback STUN url with a short gather timeout', () => {
    expect(loopbackClientPeerConfig()).toMatchObject({
      iceLite: false,
      iceServers: [{ urls: LOOPBACK_STUN_URL }],
      iceStunGatherTimeout: 0.2,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      bundlePolicy: 'max-bundle',
    });
  });
});
