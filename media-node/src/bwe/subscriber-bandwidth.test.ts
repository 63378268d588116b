import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReceiverEstimatedMaxBitrate } from 'werift';
import type { TrackDemand } from './allocator.ts';
import { ALLOCATE_INTERVAL_MS, SubscriberBandwidth } from './subscriber-bandwidth.ts';

/** A stand-in for werift's `RTCDtlsTransport.onRtcp` (an `Event`). */
function fakeTransport() {
  const listeners = new Set<(p: unknown) => void>();
  return {
    listeners,
    onRtcp: {
      subscribe(fn: (p: unknown) => void) {
        listeners.add(fn);
        return { unSubscribe: () => listeners.delete(fn) };
      },
    },
    emit(p: unknown) {
      for (const fn of listeners) fn(p);
    },
  };
}

/** Transport-cc feedback (werift's parsed shape): `n` packets from `base`, all received 1 ms apart. */
function twcc(base: number, n: number, referenceTime: number) {
  return {
    type: 205,
    feedback: {
      count: 15,
      baseSequenceNumber: base,
      packetStatusCount: n,
      referenceTime,
      packetChunks: [{ type: 0, packetStatus: 1, runLength: n }],
      recvDeltas: Array.from({ length: n }, () => ({ delta: 1000 })),
    },
  };
}

const clock = { t: 0 };
const make = (extra: Partial<ConstructorParameters<typeof SubscriberBandwidth>[0]> = {}) =>
  new SubscriberBandwidth({
    report: (error) => {
      throw error;
    },
    now: () => clock.t,
    ...extra,
  });

afterEach(() => {
  vi.useRealTimers();
  clock.t = 0;
});

describe('SubscriberBandwidth', () => {
  it('has no view before it sends anything, then reads transport-cc feedback from the transport', () => {
    const bw = make();
    expect(bw.view()).toBeUndefined();
    const dtls = fakeTransport();
    const history = bw.historyFor(dtls);
    expect(bw.historyFor(dtls)).toBe(history);
    expect(dtls.listeners.size).toBe(1);
    for (let i = 0; i < 10; i++) history.record(100 + i, i, 1000);
    clock.t = 50;
    dtls.emit(twcc(100, 10, 1));
    expect(bw.view()).toEqual({ estimateBps: 1_000_000, source: 'twcc' });
    // Other RTCP (a PLI, an SDES, junk) changes nothing.
    dtls.emit({ type: 206, feedback: { count: 1 } });
    dtls.emit({ type: 202 });
    dtls.emit(null);
    expect(bw.view()?.source).toBe('twcc');
    bw.close();
  });

  it('falls back to REMB, then to receiver-report loss', () => {
    const bw = make();
    const dtls = fakeTransport();
    bw.historyFor(dtls);
    const remb = new ReceiverEstimatedMaxBitrate({ bitrate: 450_000n, ssrcFeedbacks: [1] });
    dtls.emit({ type: 206, feedback: remb });
    expect(bw.view()).toEqual({ estimateBps: 450_000, source: 'remb' });
    // Receiver reports: 25 % lost (64/256) on the worst stream cuts by 12.5 %.
    clock.t = 1_000;
    dtls.emit({ type: 201, reports: [{ fractionLost: 0 }, { fractionLost: 64 }] });
    expect(bw.view()).toEqual({ estimateBps: 393_750, source: 'remb' });
    clock.t = 4_001;
    expect(bw.view()?.source).toBe('loss');
    bw.close();
  });

  it("records the stock path's sends through werift's per-send hook, following the transport", () => {
    const bw = make();
    const first = fakeTransport();
    const sender = {
      dtlsTransport: first as object,
      senderBWE: { rtpPacketSent: (_: unknown) => {} },
    };
    bw.trackStockSender(sender);
    clock.t = 7;
    sender.senderBWE.rtpPacketSent({ wideSeq: 9, size: 1100 });
    expect(bw.historyFor(first).sentMs(9)).toBe(7);
    expect(bw.historyFor(first).size(9)).toBe(1100);
    const bundled = fakeTransport();
    sender.dtlsTransport = bundled;
    sender.senderBWE.rtpPacketSent({ wideSeq: 10, size: 90 });
    expect(bw.historyFor(bundled).sentMs(10)).toBe(7);
    expect(bundled.listeners.size).toBe(1);
    bw.close();
  });

  it('runs the allocator on its tick with the layer control, and reports the estimate', () => {
    vi.useFakeTimers();
    const estimates: Array<[number, string]> = [];
    const bw = make({ onEstimate: (bps, source) => estimates.push([bps, source]) });
    const applied: Array<Record<string, string>> = [];
    const demands: TrackDemand[] = [
      { trackId: 'a', kind: 'audio', layers: [{ rid: '', bps: 40_000 }] },
      {
        trackId: 'v',
        kind: 'video',
        layers: [
          { rid: 'q', bps: 150_000 },
          { rid: 'h', bps: 500_000 },
          { rid: 'f', bps: 1_500_000 },
        ],
      },
    ];
    bw.setLayerControl({
      demands: () => demands,
      apply: (changed) => applied.push(Object.fromEntries(changed)),
    });
    const dtls = fakeTransport();
    bw.historyFor(dtls); // starts the tick
    vi.advanceTimersByTime(2 * ALLOCATE_INTERVAL_MS);
    // 1 Mbit/s to start: audio and h; nothing changes on the second tick.
    expect(applied).toEqual([{ a: '', v: 'h' }]);
    expect(estimates).toEqual([[1_000_000, 'loss']]);
    // The subscriber's own choice is applied at once through allocate().
    demands[1] = { ...demands[1]!, paused: true };
    expect(Object.fromEntries(bw.allocate())).toEqual({ v: 'paused' });
    bw.close();
    bw.close();
    expect(dtls.listeners.size).toBe(0);
    vi.advanceTimersByTime(10 * ALLOCATE_INTERVAL_MS);
    expect(applied).toHaveLength(2);
    expect(estimates).toHaveLength(1);
    expect(bw.allocate().size).toBe(0);
  });

  it('reports an error thrown while reading feedback instead of throwing into werift', () => {
    const errors: string[] = [];
    const bw = make({ report: (_e, where) => errors.push(where) });
    const dtls = fakeTransport();
    bw.historyFor(dtls);
    dtls.emit({
      type: 205,
      feedback: {
        count: 15,
        get baseSequenceNumber(): number {
          throw new Error('boom');
        },
      },
    });
    expect(errors).toEqual(['bwe_rtcp']);
    bw.close();
  });
});
