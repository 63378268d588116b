/**
 * Quality of one track as the node sends it to one subscriber: what was sent (from the
 * forwarder's counters), and what the subscriber says it received, from the receiver report
 * blocks about our SSRC that werift routes to the sender (`onRtcp`): fraction lost, jitter and,
 * with LSR/DLSR, the round trip. One listener per subscription, called per report (about one a
 * second), nothing per packet.
 *
 * Round trip: on the fast path our sender reports carry exact NTP times (fast-subscriber.ts), so
 * RFC 3550's A - LSR - DLSR is computed here; werift's stock sender writes inexact NTP times
 * (PLATFORM-NOTES), so its own `rtt` (matched against the SR it sent) is used there instead.
 */
import type { RTCRtpSender, RtcpPacket } from 'werift';
import { type ErrorReporter, guard } from '../../util/guard.ts';
import type { WeightedStream } from './quality-math.ts';
import { bitrateBps, jitterMs, rttFromReport } from './quality-math.ts';
import { stockRttMs } from './werift-stats.ts';

/** RTCP packet types with report blocks (RFC 3550): SR 200, RR 201. */
const SR = 200;
const RR = 201;

export interface SentCounts {
  packets: number;
  bytes: number;
}

export interface OutboundSource {
  sender: RTCRtpSender;
  /** What this subscription sent so far, and whether on the fast path. */
  sent(): SentCounts & { fast: boolean };
  /** The codec clock rate (jitter is reported in its units). */
  clockRate(): number | undefined;
  report: ErrorReporter;
}

export class OutboundTrackStats {
  readonly #o: OutboundSource;
  readonly #off: () => void;
  #report: { fractionLost: number; jitter: number; rttMs: number | null } | undefined;
  #prev: { bytes: number; packets: number; at: number } | undefined;

  constructor(o: OutboundSource) {
    this.#o = o;
    const ssrc = o.sender.ssrc;
    this.#off = o.sender.onRtcp.subscribe(
      guard(o.report, 'receiver_report', (packet: RtcpPacket) => {
        if (packet.type !== SR && packet.type !== RR) return;
        const reports = (packet as { reports?: ReadonlyArray<ReportBlock> }).reports ?? [];
        for (const r of reports) if (r.ssrc === ssrc) this.#onReport(r);
      }),
    ).unSubscribe;
  }

  #onReport(r: ReportBlock): void {
    const fast = this.#o.sent().fast;
    this.#report = {
      fractionLost: r.fractionLost / 256,
      jitter: r.jitter,
      rttMs: fast ? rttFromReport(Date.now(), r.lsr, r.dlsr) : stockRttMs(this.#o.sender),
    };
  }

  /** Stats over the time since the previous sample, with the newest report's figures. */
  sample(now: number): WeightedStream & { rttMs: number | null } {
    const sent = this.#o.sent();
    const prev = this.#prev ?? { bytes: 0, packets: 0, at: now };
    this.#prev = { bytes: sent.bytes, packets: sent.packets, at: now };
    const report = this.#report;
    return {
      bitrateBps: bitrateBps(sent.bytes - prev.bytes, now - prev.at),
      packets: sent.packets,
      lossRatio: report ? report.fractionLost : null,
      jitterMs: report ? jitterMs(report.jitter, this.#o.clockRate()) : null,
      rttMs: report?.rttMs ?? null,
      intervalPackets: sent.packets - prev.packets,
    };
  }

  close(): void {
    this.#off();
  }
}

interface ReportBlock {
  ssrc: number;
  fractionLost: number;
  jitter: number;
  lsr: number;
  dlsr: number;
}
