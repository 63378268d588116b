/**
 * The per-packet route check on werift's ICE connection, with werift-shaped stand-ins: consent
 * is asked for every packet, and the cached route is only reused while the nominated pair, its
 * transport and remote candidate are unchanged.
 */
import { describe, expect, it } from 'vitest';
import { probeWeriftTransport, type WeriftSendPath } from './werift-internals.ts';

function fakeTransport() {
  const socket = { send() {} };
  const transport = { type: 'udp', closed: false, socket };
  const candidate = { host: '127.0.0.1', port: 5000 };
  const pair = {
    protocol: { type: 'stun', transport },
    remoteCandidate: candidate,
    get remoteAddr() {
      return [this.remoteCandidate.host, this.remoteCandidate.port];
    },
  };
  const conn = { consent: true, nominated: pair as unknown, canSendApplicationData: () => false };
  conn.canSendApplicationData = () => conn.consent;
  const dtls = {
    state: 'connected',
    srtp: {
      config: {
        profile: 7,
        keys: { localMasterKey: Buffer.alloc(16, 1), localMasterSalt: Buffer.alloc(12, 2) },
      },
    },
    iceTransport: { connection: conn },
  };
  return { dtls, conn, pair, transport, candidate, socket };
}

describe('werift send route', () => {
  it('reuses the route while nothing changed and re-checks consent every packet', () => {
    const f = fakeTransport();
    const path = probeWeriftTransport(f.dtls) as WeriftSendPath;
    expect(typeof path).toBe('object');
    const first = path.route();
    expect(first).toEqual({ socket: f.socket, address: '127.0.0.1', port: 5000 });
    expect(path.route()).toBe(first);
    f.conn.consent = false;
    expect(path.route()).toBe('no ICE consent');
    f.conn.consent = true;
    expect(path.route()).toEqual(first);
  });

  it('notices a changed candidate, a closed transport and a new nominated pair', () => {
    const f = fakeTransport();
    const path = probeWeriftTransport(f.dtls) as WeriftSendPath;
    path.route();
    f.candidate.port = 6000;
    expect(path.route()).toMatchObject({ port: 6000 });
    f.transport.closed = true;
    expect(path.route()).toMatch(/not an open UDP socket/);
    f.transport.closed = false;
    const socket2 = { send() {} };
    f.conn.nominated = {
      ...f.pair,
      protocol: { type: 'stun', transport: { type: 'udp', closed: false, socket: socket2 } },
      remoteCandidate: { host: '127.0.0.2', port: 7000 },
      get remoteAddr() {
        return ['127.0.0.2', 7000];
      },
    };
    expect(path.route()).toEqual({ socket: socket2, address: '127.0.0.2', port: 7000 });
    f.conn.nominated = { ...f.pair, protocol: { type: 'turn' } };
    expect(path.route()).toMatch(/turn/);
  });
});
