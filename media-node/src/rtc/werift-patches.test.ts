/** Regression tests for the werift 0.25.2 defects worked around in werift-patches.ts. */
import { afterAll, describe, expect, it } from 'vitest';
import { GenericNack, RTCRtpSender } from 'werift';
import { createLoopbackPeer } from '../../../test/support/loopback-peer.ts';
import { BWE_HISTORY, patchNackHandler, patchSenderBwe } from './werift-patches.ts';

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
