/**
 * The fast path against real werift peers on 127.0.0.1: peer A stands in for the media node and
 * sends through `FastForwarder` on A's own ICE socket and SRTP keys; peer B is a stock werift
 * subscriber that must decrypt and route every packet.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, type RTCRtpTransceiver, RtpHeader, RtpPacket } from 'werift';
import { SendHistory } from '../bwe/send-history.ts';
import { FastForwarder } from './fast-forwarder.ts';
import { type FastSendMode, resolveFastSend } from './fast-send.ts';
import { FastSenderForwarder } from './fast-sender-forwarder.ts';
import { FastPathUnavailable, FastSubscriber } from './fast-subscriber.ts';
import { EXT_URI, extensionRewrite } from './rtp-extensions.ts';
import { rtpPacket } from './srtp-test-helpers.ts';

/** Full ICE on loopback only: the STUN server nobody answers keeps gathering local and short. */
const LOOPBACK_ONLY = {
  iceServers: [{ urls: 'stun:127.0.0.1:9' }],
  iceStunGatherTimeout: 0.2,
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceUseIpv6: false,
  bundlePolicy: 'max-bundle' as const,
};

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('FastForwarder with two werift peers', () => {
  let a: RTCPeerConnection;
  let b: RTCPeerConnection;
  let sender: RTCRtpTransceiver;
  /** The first test's subscriber: its ROC is 1 after the wrap. */
  let first: FastSubscriber | undefined;
  const received: RtpPacket[] = [];

  beforeAll(async () => {
    a = new RTCPeerConnection(LOOPBACK_ONLY);
    b = new RTCPeerConnection(LOOPBACK_ONLY);
    sender = a.addTransceiver('video', { direction: 'sendonly' });
    b.onRemoteTransceiverAdded.subscribe((t) => {
      t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp)));
    });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    await until(
      () => a.connectionState === 'connected' && b.connectionState === 'connected',
      10_000,
      'connected',
    );
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('delivers rewritten, encrypted packets that werift decrypts, across the ROC wrap', async () => {
    const dtls = sender.sender.dtlsTransport;
    const payloadType = sender.codecs[0]!.payloadType;
    const sub = new FastSubscriber(dtls, {
      ssrc: sender.sender.ssrc,
      payloadType,
      seqOffset: 65530 - 100,
      tsOffset: 1000,
    });
    first = sub;
    const forwarder = new FastForwarder();
    const payloads: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const payload = randomBytes(900);
      payloads.push(payload);
      // A publisher's packet: other SSRC and PT, seq 100.. so the subscriber sees 65530..5.
      const packet = rtpPacket({ seq: 100 + i, ssrc: 0xabcdef01, pt: 111, ts: 3000 * i, payload });
      const before = Buffer.from(packet);
      expect(forwarder.forward(packet, packet.length, [sub])).toBe(1);
      expect(packet).toEqual(before);
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => received.length >= 12, 3000, '12 packets at the subscriber');
    expect(received.map((p) => p.header.sequenceNumber)).toEqual([
      65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5,
    ]);
    expect(received.map((p) => p.header.ssrc)).toEqual(Array(12).fill(sender.sender.ssrc));
    expect(received.map((p) => p.header.payloadType)).toEqual(Array(12).fill(payloadType));
    expect(received[3]!.header.timestamp).toBe(3000 * 3 + 1000);
    expect(received.map((p) => p.payload)).toEqual(payloads);
    expect(sub.packetsSent).toBe(12);
    expect(sub.packetsDropped).toBe(0);
  });

  it('plugs into the per-subscriber Forwarder seam with werift RtpPackets', async () => {
    const shared = new FastForwarder();
    const payloadType = sender.codecs[0]!.payloadType;
    const fwd = FastSenderForwarder.tryCreate(shared, sender.sender, { payloadType });
    if (typeof fwd === 'string') throw new Error(fwd);
    // Same SSRC and keys as the first test's subscriber, which wrapped to ROC 1: without the
    // handover the new context would encrypt with ROC 0 and the receiver would drop the packet.
    fwd.subscriber.seedRoc(first!.rocState()!);
    const before = received.length;
    const payload = randomBytes(500);
    const header = new RtpHeader({ sequenceNumber: 6, timestamp: 1, ssrc: 42, payloadType: 111 });
    fwd.forward(new RtpPacket(header, payload));
    await until(() => received.length > before, 3000, 'the adapter packet');
    expect(received.at(-1)!.payload).toEqual(payload);
    fwd.close();
    fwd.forward(new RtpPacket(header, payload));
    expect(fwd.subscriber.packetsSent).toBe(1);
  });

  /** The last subscriber on the shared SSRC, whose ROC the next one continues. */
  let previous: FastSubscriber | undefined;
  for (const [k, mode] of (['batch', 'sendmsg', 'dgram'] as FastSendMode[]).entries()) {
    it(`delivers a burst through send mode ${mode} (werift decrypts, in order)`, async () => {
      const send = resolveFastSend({ FAST_SEND: mode });
      if (send.mode !== mode) return; // no native sendBatch here: covered by the dgram case
      const forwarder = new FastForwarder({ send });
      const payloadType = sender.codecs[0]!.payloadType;
      const sub = new FastSubscriber(sender.sender.dtlsTransport, {
        ssrc: sender.sender.ssrc,
        payloadType,
      });
      sub.seedRoc((previous ?? first)!.rocState()!);
      const before = received.length;
      const payloads: Buffer[] = [];
      // One synchronous burst: in batch modes all five go to the kernel in one native call.
      for (let i = 0; i < 5; i++) {
        const payload = randomBytes(300 + i);
        payloads.push(payload);
        const packet = rtpPacket({ seq: 20 + 10 * k + i, ssrc: 7, pt: 111, ts: i, payload });
        expect(forwarder.forward(packet, packet.length, [sub])).toBe(1);
      }
      await until(() => received.length >= before + 5, 3000, `5 packets via ${mode}`);
      expect(received.slice(before).map((p) => p.payload)).toEqual(payloads);
      expect(received.slice(before).map((p) => p.header.sequenceNumber)).toEqual(
        [0, 1, 2, 3, 4].map((i) => 20 + 10 * k + i),
      );
      expect(sub.packetsSent).toBe(5);
      expect(sub.packetsDropped).toBe(0);
      expect(sub.batchFallback).toBe('');
      const stats = forwarder.sendStats();
      expect(stats.mode).toBe(mode);
      if (mode !== 'dgram') expect(stats).toMatchObject({ batches: 1, datagrams: 5 });
      previous = sub;
    });
  }

  it('stamps transport-cc numbers and records their send time and size (bandwidth estimation)', async () => {
    const payloadType = sender.codecs[0]!.payloadType;
    const history = new SendHistory();
    const extensions = extensionRewrite([], [{ id: 3, uri: EXT_URI.transportCc }], undefined);
    const sub = new FastSubscriber(sender.sender.dtlsTransport, {
      ssrc: sender.sender.ssrc,
      payloadType,
      extensions,
      twccHistory: history,
    });
    sub.seedRoc((previous ?? first)!.rocState()!);
    const forwarder = new FastForwarder();
    const before = received.length;
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) {
      const packet = rtpPacket({ seq: 60 + i, ssrc: 7, pt: 111, ts: i, payload: randomBytes(400) });
      expect(forwarder.forward(packet, packet.length, [sub])).toBe(1);
    }
    await until(() => received.length >= before + 4, 3000, '4 packets with transport-cc');
    const seqs = received.slice(before).map((p) => {
      const ext = p.header.extensions.find((e) => e.id === 3);
      if (!ext) throw new Error('no transport-cc element');
      return ext.payload.readUInt16BE(0);
    });
    // Consecutive numbers of the transport, each remembered with its time and wire size
    // (12-byte header + 4-byte extension block + 400 payload bytes).
    expect(seqs.map((s) => (s - seqs[0]!) & 0xffff)).toEqual([0, 1, 2, 3]);
    for (const seq of seqs) {
      expect(history.sentMs(seq)).toBeGreaterThanOrEqual(t0);
      expect(history.size(seq)).toBe(12 + 8 + 400);
    }
    expect(history.recorded).toBe(4);
    previous = sub;
  });

  it('refuses transports whose werift internals are missing', () => {
    const opts = { ssrc: 1, payloadType: 96 };
    expect(() => new FastSubscriber({}, opts)).toThrow(FastPathUnavailable);
    const real = sender.sender.dtlsTransport as unknown as Record<string, unknown>;
    expect(() => new FastSubscriber({ ...real, srtp: undefined }, opts)).toThrow(/srtp/);
    expect(() => new FastSubscriber({ ...real, iceTransport: {} }, opts)).toThrow(/connection/);
    expect(() => new FastSubscriber({ ...real, state: 'closed' }, opts)).toThrow(/dtls state/);
  });
});
