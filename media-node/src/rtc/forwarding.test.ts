import { describe, expect, it } from 'vitest';
import { type RTCRtpSender, RtpHeader, RtpPacket } from 'werift';
import { Forwarding, type LayerSource } from './forwarding.ts';

/** What the subscriber's sender was handed: sequence number, timestamp, layer (payload byte). */
interface Sent {
  seq: number;
  ts: number;
  layer: number;
}

function setup() {
  const sent: Sent[] = [];
  const sender = {
    headerExtensions: [],
    sendRtp: async (rtp: RtpPacket) => {
      sent.push({
        seq: rtp.header.sequenceNumber,
        ts: rtp.header.timestamp,
        layer: rtp.payload[0]!,
      });
    },
  } as unknown as RTCRtpSender;
  const forwarding = new Forwarding({
    path: 'stock',
    fastSend: { mode: 'dgram', flush: 'packet' },
    counters: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 },
    report: (error) => {
      throw error;
    },
    onFallback: () => {},
  });
  const asked: number[] = [];
  const source: LayerSource = {
    kind: 'video',
    ranks: [0, 1, 2],
    activeMask: 0b111,
    codec: { clockRate: 90_000 },
    requestKeyframe: (layer) => asked.push(layer),
  };
  const forwarder = forwarding.create(sender, () => {}, undefined, source);
  // Three layers numbered far apart, as three encoders would.
  const seq = [100, 30_000, 65_500];
  const ts = [1_000, 2_000_000, 4_000_000_000];
  let now = 0;
  /** One frame (one packet) on every layer; `keyframes` lists the layers that send a keyframe. */
  const frame = (keyframes: number[] = []) => {
    now += 33;
    for (const layer of [0, 1, 2]) {
      const header = new RtpHeader({
        sequenceNumber: seq[layer]!,
        timestamp: ts[layer]!,
        payloadType: 96,
      });
      seq[layer] = (seq[layer]! + 1) & 0xffff;
      ts[layer] = (ts[layer]! + 2_970) >>> 0;
      forwarder.forward(
        new RtpPacket(header, Buffer.from([layer])),
        layer,
        keyframes.includes(layer),
        now,
      );
    }
  };
  return { forwarding, forwarder, sent, asked, frame };
}

/** Consecutive sequence numbers (mod 2^16) and increasing timestamps, one packet after another. */
function expectContinuous(sent: Sent[]) {
  for (let i = 1; i < sent.length; i++) {
    expect((sent[i]!.seq - sent[i - 1]!.seq) & 0xffff).toBe(1);
    const step = (sent[i]!.ts - sent[i - 1]!.ts) >>> 0;
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(90_000);
  }
}

describe('SubscriberForwarder layer switches (stock path)', () => {
  it('starts on f at its keyframe, goes down to q at a q keyframe with continuous numbering', () => {
    const { forwarding, forwarder, sent, asked, frame } = setup();
    frame();
    expect(sent).toHaveLength(0);
    expect(asked).toEqual([2]);
    frame([2]);
    frame();
    expect(sent.map((s) => s.layer)).toEqual([2, 2]);
    forwarder.setTarget('q');
    frame();
    expect(asked).toEqual([2, 0]);
    frame([0]);
    frame();
    expect(sent.map((s) => s.layer)).toEqual([2, 2, 2, 0, 0]);
    expectContinuous(sent);
    expect(forwarder.layer).toBe(0);
    expect(forwarding.switches).toEqual({ up: 0, down: 1 });
    // NACKs name outgoing numbers: they map back to the layer's own.
    expect(forwarder.sourceSeq(sent.at(-1)!.seq)).toBe(105);
  });

  it('pauses at once and resumes on a keyframe without a gap in the numbering', () => {
    const { forwarding, forwarder, sent, frame } = setup();
    frame([2]);
    forwarder.setTarget('paused');
    frame([2]);
    frame();
    expect(sent).toHaveLength(1);
    forwarder.setTarget('f');
    frame();
    expect(sent).toHaveLength(1);
    frame([2]);
    expect(sent).toHaveLength(2);
    expectContinuous(sent);
    expect(forwarding.switches).toEqual({ up: 0, down: 0 });
  });

  it('goes up again and counts it', () => {
    const { forwarding, forwarder, sent, frame } = setup();
    forwarder.setTarget('h');
    frame([1]);
    forwarder.setTarget('f');
    frame([2]);
    expect(sent.map((s) => s.layer)).toEqual([1, 1, 2]);
    expectContinuous(sent);
    expect(forwarding.switches).toEqual({ up: 1, down: 0 });
  });
});
