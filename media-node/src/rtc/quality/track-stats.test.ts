import { describe, expect, it } from 'vitest';
import { Event, type RTCRtpSender, RtcpReceiverInfo, RtcpRrPacket } from 'werift';
import { InboundTrackStats } from './inbound-stats.ts';
import { OutboundTrackStats } from './outbound-stats.ts';
import { compactNtp } from './quality-math.ts';

/** werift's receive statistics of one SSRC, as `remoteStreams` holds them. */
function receiver(ssrc: number) {
  const stream = {
    packets_received: 0,
    packets_expected: 0,
    bytesReceived: 0,
    jitter: 0,
    clockRate: 90_000,
  };
  return { stream, receiver: { remoteStreams: { [ssrc]: stream } } };
}

describe('InboundTrackStats', () => {
  it('turns werift receive counts into interval bitrate and loss, and jitter into ms', () => {
    const { stream, receiver: r } = receiver(42);
    const stats = new InboundTrackStats(r, () => 42);
    Object.assign(stream, { packets_received: 100, packets_expected: 100, bytesReceived: 50_000 });
    expect(stats.sample(0)).toMatchObject({ packets: 100, lossRatio: 0, bitrateBps: 0 });
    Object.assign(stream, {
      packets_received: 190,
      packets_expected: 200,
      bytesReceived: 175_000,
      jitter: 450,
    });
    expect(stats.sample(1_000)).toEqual({
      bitrateBps: 1_000_000,
      packets: 190,
      lossRatio: 0.1,
      jitterMs: 5,
      intervalPackets: 90,
    });
  });

  it('reports nothing measured before the first packet or when werift changed shape', () => {
    const before = new InboundTrackStats({ remoteStreams: {} }, () => undefined);
    expect(before.sample(0)).toEqual({
      bitrateBps: 0,
      packets: 0,
      lossRatio: null,
      jitterMs: null,
      intervalPackets: 0,
    });
    const changed = new InboundTrackStats({ remoteStreams: { 7: { received: 3 } } }, () => 7);
    expect(changed.sample(0).lossRatio).toBeNull();
  });
});

describe('OutboundTrackStats', () => {
  const SSRC = 1234;

  function fakeSender(extra: Record<string, unknown> = {}) {
    return { ssrc: SSRC, onRtcp: new Event<[unknown]>(), ...extra } as unknown as RTCRtpSender & {
      onRtcp: Event<[unknown]>;
    };
  }

  function rr(block: Partial<RtcpReceiverInfo>) {
    return new RtcpRrPacket({ ssrc: 99, reports: [new RtcpReceiverInfo(block)] });
  }

  it("reads loss, jitter and (fast path) the round trip from the subscriber's reports", () => {
    const sender = fakeSender();
    let sent = { packets: 0, bytes: 0, fast: true };
    const errors: unknown[] = [];
    const stats = new OutboundTrackStats({
      sender,
      sent: () => sent,
      clockRate: () => 48_000,
      report: (e) => errors.push(e),
    });
    expect(stats.sample(0)).toMatchObject({ lossRatio: null, jitterMs: null, rttMs: null });
    // An SR we sent 250 ms ago, held 200 ms by the subscriber: 50 ms round trip.
    const lsr = compactNtp(Date.now() - 250);
    sender.onRtcp.execute(
      rr({ ssrc: SSRC, fractionLost: 64, jitter: 480, lsr, dlsr: Math.round(0.2 * 65536) }),
    );
    // A block about another SSRC is not ours.
    sender.onRtcp.execute(rr({ ssrc: 5, fractionLost: 255, jitter: 1 }));
    sent = { packets: 100, bytes: 4_000, fast: true };
    const s = stats.sample(1_000);
    expect(s.lossRatio).toBe(0.25);
    expect(s.jitterMs).toBe(10);
    expect(s.rttMs).toBeGreaterThan(45);
    expect(s.rttMs).toBeLessThan(80);
    expect(s.bitrateBps).toBe(32_000);
    expect(s.intervalPackets).toBe(100);
    expect(errors).toEqual([]);
  });

  it("uses werift's own round trip on the stock path, and stops listening when closed", () => {
    const sender = fakeSender({ rtt: 0.012 });
    const stats = new OutboundTrackStats({
      sender,
      sent: () => ({ packets: 0, bytes: 0, fast: false }),
      clockRate: () => 90_000,
      report: () => {},
    });
    sender.onRtcp.execute(rr({ ssrc: SSRC, fractionLost: 0, jitter: 0, lsr: 1, dlsr: 0 }));
    expect(stats.sample(0).rttMs).toBe(12);
    stats.close();
    sender.onRtcp.execute(rr({ ssrc: SSRC, fractionLost: 128, jitter: 0 }));
    expect(stats.sample(1_000).lossRatio).toBe(0);
  });
});
