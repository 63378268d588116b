/** Regression tests for the werift 0.25.2 defects worked around in werift-patches.ts. */
import { afterAll, describe, expect, it } from 'vitest';
import { GenericNack, RTCRtpReceiver, RTCRtpSender, RtpHeader, RtpPacket } from 'werift';
import { createLoopbackPeer } from '../../../test/support/loopback-peer.ts';
import {
  BWE_HISTORY,
  patchNackHandler,
  patchSenderBwe,
  patchSimulcastNack,
} from './werift-patches.ts';

interface Bwe {
  sentInfos: Record<number, unknown>;
  rtpPacketSent(info: object): void;
}
const sent = (wideSeq: number) => ({ wideSeq, size: 1000, sendingAtMs: 0, sentAtMs: 0 });

describe('werift SenderBandwidthEstimator history (TWCC)', () => {
  it('grows without the patch and stays bounded with it', () => {
    const before = new RTCRtpSender('video').senderBWE as unknown as Bwe;
    for (let i = 0; i < 3_000; i++) before.rtpPacketSent(sent(i));
    // The defect: nothing is ever pruned.
    expect(Object.keys(before.sentInfos)).toHaveLength(3_000);

    const bwe = new RTCRtpSender('video').senderBWE as unknown as Bwe;
    expect(patchSenderBwe(bwe)).toBe(true);
    for (let i = 0; i < 70_000; i++) bwe.rtpPacketSent(sent(i & 0xffff));
    const keys = Object.keys(bwe.sentInfos).map(Number);
    expect(keys.length).toBeLessThanOrEqual(BWE_HISTORY + 256);
    // The newest records (what TWCC feedback asks about) are kept, across the 16-bit wrap.
    expect(bwe.sentInfos[69_999 & 0xffff]).toBeDefined();
    expect(bwe.sentInfos[(69_999 - 500) & 0xffff]).toBeDefined();
  });
});

describe('werift NackHandler order', () => {
  const pc = createLoopbackPeer();
  afterAll(() => pc.close());

  it('sorts lost sequence numbers numerically and across the wrap, so one FCI covers neighbours', () => {
    const nack = (
      pc.addTransceiver('video').receiver as unknown as { nack: Record<string, unknown> }
    ).nack as { _lost: Record<number, number>; newEstSeqNum: number; lostSeqNumbers: number[] };
    nack._lost = { 8: 1, 9: 1, 10: 1, 11: 1 };
    nack.newEstSeqNum = 12;
    // The defect: string order.
    expect(nack.lostSeqNumbers).toEqual([10, 11, 8, 9]);
    const fciBytes = (lost: number[]) =>
      new GenericNack({ senderSsrc: 1, mediaSourceSsrc: 2, lost }).serialize().length - 12;
    expect(fciBytes(nack.lostSeqNumbers)).toBe(8);

    expect(patchNackHandler(nack)).toBe(true);
    expect(nack.lostSeqNumbers).toEqual([8, 9, 10, 11]);
    expect(fciBytes(nack.lostSeqNumbers)).toBe(4);

    nack._lost = { 0: 1, 1: 1, 65534: 1, 65535: 1 };
    nack.newEstSeqNum = 2;
    expect(nack.lostSeqNumbers).toEqual([65534, 65535, 0, 1]);
  });
});

describe('werift NACK handler of a simulcast receiver', () => {
  interface Nack {
    addPacket(p: RtpPacket): void;
  }
  const packet = (ssrc: number, sequenceNumber: number) =>
    new RtpPacket(new RtpHeader({ ssrc, sequenceNumber, payloadType: 96 }), Buffer.alloc(10));
  /** Three layers' packets interleaved, each layer numbered far from the others, none lost. */
  const feed = (receiver: RTCRtpReceiver) => {
    const nack = (receiver as unknown as { nack: Nack }).nack;
    for (let i = 0; i < 20; i++) {
      nack.addPacket(packet(111, 100 + i));
      nack.addPacket(packet(222, 30_000 + i));
      nack.addPacket(packet(333, 60_000 + i));
    }
  };
  /** A receiver whose NACKs are counted instead of sent. */
  const receiver = () => {
    const r = new RTCRtpReceiver({} as never, 'video', 1);
    const sent: unknown[] = [];
    (r as unknown as { dtlsTransport: unknown }).dtlsTransport = {
      sendRtcp: async (packets: unknown[]) => void sent.push(...packets),
    };
    return { r, sent };
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('NACKs nothing for interleaved layers once split per SSRC (werift NACKed thousands)', async () => {
    const plain = receiver();
    feed(plain.r);
    await settle();
    plain.r.stop();
    expect(plain.sent.length).toBeGreaterThan(0);

    const simulcast = receiver();
    expect(patchSimulcastNack(simulcast.r)).toBe(true);
    expect(patchSimulcastNack(simulcast.r)).toBe(false);
    feed(simulcast.r);
    await settle();
    simulcast.r.stop();
    expect(simulcast.sent).toEqual([]);
  });

  it('still NACKs a packet lost within one layer', async () => {
    const simulcast = receiver();
    patchSimulcastNack(simulcast.r);
    const nack = (simulcast.r as unknown as { nack: Nack }).nack;
    for (const seq of [1, 2, 4]) nack.addPacket(packet(111, seq));
    await settle();
    simulcast.r.stop();
    const lost = simulcast.sent.flatMap((p) => (p as { feedback: GenericNack }).feedback.lost);
    expect(new Set(lost)).toEqual(new Set([3]));
  });
});
