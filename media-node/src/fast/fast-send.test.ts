/**
 * The batched UDP sender on real loopback sockets: the native `sendBatch` (sendmmsg grouped by
 * fd, or sendmsg per datagram) delivers every datagram intact and in order per socket, refuses
 * bad descriptors without throwing, and `BatchSender` never writes to a socket closed after its
 * datagram was queued (the fd might belong to something else by then).
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BatchDestination,
  BatchSender,
  DESC_STRIDE,
  ipv4ToInt,
  resolveFastSend,
} from './fast-send.ts';
import type { FastSubscriber } from './fast-subscriber.ts';
import { nativeSrtpAddon } from './srtp.ts';
import { udpSocketFd } from './werift-internals.ts';

const addon = nativeSrtpAddon();
const hasBatch = typeof addon?.sendBatch === 'function';

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

function collect(s: dgram.Socket): Buffer[] {
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  return got;
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const open: dgram.Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) {
    try {
      s.close();
    } catch {
      // already closed by the test
    }
  }
});

describe('resolveFastSend', () => {
  const withBatch = { sendBatch: () => 0 } as never;
  it('defaults to batch with a native addon that has sendBatch', () => {
    expect(resolveFastSend({}, withBatch)).toMatchObject({ mode: 'batch', flush: 'packet' });
    expect(
      resolveFastSend({ FAST_SEND: 'sendmsg', FAST_SEND_FLUSH: 'tick' }, withBatch),
    ).toMatchObject({
      mode: 'sendmsg',
      flush: 'tick',
    });
  });
  it('falls back to dgram without the addon (JS SRTP) or without sendBatch, saying why', () => {
    expect(resolveFastSend({}, null)).toMatchObject({ mode: 'dgram', requested: 'batch' });
    expect(resolveFastSend({}, {} as never).detail).toMatch(/sendBatch/);
    expect(resolveFastSend({ FAST_SEND: 'dgram' }, withBatch).mode).toBe('dgram');
  });
  it('refuses unknown values, naming the variable', () => {
    expect(() => resolveFastSend({ FAST_SEND: 'fast' }, withBatch)).toThrow(/FAST_SEND/);
    expect(() => resolveFastSend({ FAST_SEND_FLUSH: 'never' }, withBatch)).toThrow(
      /FAST_SEND_FLUSH/,
    );
  });
  it('parses IPv4 peers only', () => {
    expect(ipv4ToInt('127.0.0.1')).toBe(0x7f000001);
    expect(ipv4ToInt('255.255.255.255')).toBe(-1);
    expect(ipv4ToInt('::1')).toBeUndefined();
    expect(ipv4ToInt('1.2.3.256')).toBeUndefined();
    expect(ipv4ToInt('1.2.3')).toBeUndefined();
  });
});

describe.skipIf(!hasBatch)('native sendBatch', () => {
  it('finds the fd of a bound udp4 dgram socket through its private state', async () => {
    const s = await bound();
    open.push(s);
    const fd = udpSocketFd(s);
    expect(typeof fd).toBe('object');
    expect((fd as { fd: number }).fd).toBeGreaterThan(2);
    const v6 = dgram.createSocket('udp6');
    expect(udpSocketFd(v6)).toMatch(/udp6/);
    v6.close();
  });

  for (const [mode, name] of [
    [0, 'sendmmsg'],
    [1, 'sendmsg'],
  ] as const) {
    it(`delivers interleaved datagrams on two sockets intact and in order (${name})`, async () => {
      const [a, b, ra, rb] = await Promise.all([bound(), bound(), bound(), bound()]);
      open.push(a, b, ra, rb);
      const gotA = collect(ra);
      const gotB = collect(rb);
      const fdA = (udpSocketFd(a) as { fd: number }).fd;
      const fdB = (udpSocketFd(b) as { fd: number }).fd;
      const buf = Buffer.alloc(64 * 1024);
      const desc = new Int32Array(64 * DESC_STRIDE);
      const sentA: Buffer[] = [];
      const sentB: Buffer[] = [];
      let used = 0;
      for (let i = 0; i < 40; i++) {
        const toA = i % 3 !== 0;
        const len = 50 + i * 7;
        const payload = Buffer.alloc(len, i);
        payload.writeUInt32BE(i, 0);
        payload.copy(buf, used);
        const o = i * DESC_STRIDE;
        desc[o] = toA ? fdA : fdB;
        desc[o + 1] = used;
        desc[o + 2] = len;
        desc[o + 3] = (toA ? ra : rb).address().port;
        desc[o + 4] = ipv4ToInt('127.0.0.1') as number;
        (toA ? sentA : sentB).push(payload);
        used += len;
      }
      expect(addon?.sendBatch?.(buf, desc, 40, mode)).toBe(0);
      await until(() => gotA.length === sentA.length && gotB.length === sentB.length);
      expect(gotA).toEqual(sentA);
      expect(gotB).toEqual(sentB);
      // Datagrams came from the sending sockets' own ports (werift's ICE tuple).
    });
  }

  it('reports refused datagrams per descriptor instead of throwing', async () => {
    const r = await bound();
    open.push(r);
    const got = collect(r);
    const buf = Buffer.alloc(100, 1);
    const desc = new Int32Array(3 * DESC_STRIDE);
    const port = r.address().port;
    const lo = ipv4ToInt('127.0.0.1') as number;
    desc.set([-1, 0, 10, port, lo, 0, 0, 0], 0); // no fd
    desc.set([0x7ffffff0, 0, 10, port, lo, 0, 0, 0], DESC_STRIDE); // not an open fd
    desc.set([0, 0, 1000, port, lo, 0, 0, 0], 2 * DESC_STRIDE); // beyond the buffer
    expect(addon?.sendBatch?.(buf, desc, 3, 0)).toBe(3);
    expect([desc[5], desc[DESC_STRIDE + 5], desc[2 * DESC_STRIDE + 5]]).toEqual([9, 9, 22]);
    expect(addon?.sendBatch?.(buf, new Int32Array(4), 3, 0)).toBe(-2);
    await new Promise((res) => setTimeout(res, 50));
    expect(got).toHaveLength(0);
  });

  it('BatchSender sends in one call per tick and skips a socket closed before the flush', async () => {
    const [a, b, r] = await Promise.all([bound(), bound(), bound()]);
    open.push(a, b, r);
    const got = collect(r);
    const batch = new BatchSender({
      mode: 'batch',
      requested: 'batch',
      flush: 'packet',
      detail: 'test',
    });
    const dest = (s: dgram.Socket): BatchDestination => ({
      ...(udpSocketFd(s) as Exclude<ReturnType<typeof udpSocketFd>, string>),
      socket: s,
      address: '127.0.0.1',
      port: r.address().port,
      ip: ipv4ToInt('127.0.0.1') as number,
      batch: true,
    });
    const dropped: string[] = [];
    const sub = {
      unsend: (_len: number, why: string) => dropped.push(why),
    } as unknown as FastSubscriber;
    const [da, db] = [dest(a), dest(b)];
    for (const [i, d] of [da, db, da, db].entries()) {
      const off = batch.reserve(100);
      batch.scratch.fill(i + 1, off, off + 20);
      batch.push(sub, d, off, 20);
    }
    b.close(); // b's two datagrams must not go out on a recycled fd
    expect(batch.pending).toBe(4);
    await Promise.resolve();
    expect(batch.pending).toBe(0);
    expect(batch.stats).toMatchObject({ batches: 1, datagrams: 4, errors: { other: 2 } });
    expect(dropped).toHaveLength(2);
    await until(() => got.length === 2);
    expect(got.map((m) => m[0])).toEqual([1, 3]);
  });
});

describe.skipIf(!hasBatch)(
  'batch-mode forwarder, subscriber socket not usable for batching',
  () => {
    it('sends that subscriber a copy through dgram and says why', async () => {
      const { FastForwarder } = await import('./fast-forwarder.ts');
      const { FastSubscriber } = await import('./fast-subscriber.ts');
      const { rtpPacket } = await import('./srtp-test-helpers.ts');
      const sent: Array<{ buf: Buffer; port: number; address: string }> = [];
      // A dgram-like socket without Node's private state (as another runtime might have).
      const socket = {
        type: 'udp4',
        send(buf: Buffer, _off: number, _len: number, port: number, address: string) {
          sent.push({ buf, port, address });
        },
      };
      const pair = {
        protocol: { type: 'stun', transport: { type: 'udp', closed: false, socket } },
        remoteCandidate: { host: '127.0.0.1', port: 5004 },
        remoteAddr: ['127.0.0.1', 5004],
      };
      const dtls = {
        state: 'connected',
        srtp: {
          config: {
            profile: 7,
            keys: { localMasterKey: Buffer.alloc(16, 1), localMasterSalt: Buffer.alloc(12, 2) },
          },
        },
        iceTransport: { connection: { nominated: pair, canSendApplicationData: () => true } },
      };
      const forwarder = new FastForwarder({ send: resolveFastSend({ FAST_SEND: 'batch' }) });
      const sub = new FastSubscriber(dtls, { ssrc: 42, payloadType: 96 });
      const packet = rtpPacket({ seq: 1, ssrc: 7, pt: 111, ts: 1, payload: Buffer.alloc(200, 3) });
      expect(forwarder.forward(packet, packet.length, [sub])).toBe(1);
      expect(sub.batchFallback).toBe('no dgram state symbol');
      expect(forwarder.sendStats().dgramFallbacks).toBe(1);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ port: 5004, address: '127.0.0.1' });
      expect(sent[0]?.buf.length).toBe(packet.length + 16);
      expect(sub.packetsSent).toBe(1);
      await Promise.resolve();
      expect(forwarder.sendStats().batches).toBe(0);
    });
  },
);
