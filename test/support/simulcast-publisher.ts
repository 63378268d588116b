/**
 * A werift publisher that sends one camera as three simulcast layers (rids q, h, f), the way a
 * browser does: one m-line offering `a=rid:q/h/f send` + `a=simulcast:send q;h;f`, then three
 * SSRCs whose packets carry the mid and rid header extensions. werift 0.25.2 can offer simulcast
 * but its sender sends one encoding only, so the packets are written on the transport directly.
 *
 * The media is synthetic VP8 that a parser can check (vp8-frames.ts): a keyframe carries the
 * start code and its layer's size (80x45 / 160x90 / 320x180), an inter frame the P bit; the last
 * payload byte names the layer (`q`, `h`, `f`). A layer sends a keyframe when a PLI names its
 * SSRC, and otherwise only every `keyframeIntervalMs`, so a switch on a keyframe shortly after
 * a request proves the request reached the publisher.
 *
 * Dynacast: it honours the node's `layers` events as the SDK's browser peer does (a layer not
 * listed stops; one listed again restarts with a keyframe, as an encoder does).
 */
import { randomInt } from 'node:crypto';
import {
  PictureLossIndication,
  type RTCDtlsTransport,
  type RTCRtpTransceiver,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
} from 'werift';
import type { MediaApi } from '../../client/api.ts';
import { RoomParticipant } from '../../client/participant.ts';
import { wrapWeriftPeer } from '../../client/werift-peer.ts';
import { createLoopbackPeer } from './loopback-peer.ts';

export const LAYERS = ['q', 'h', 'f'] as const;
export type Layer = (typeof LAYERS)[number];
/** Keyframe width per layer (height is 9/16 of it). */
export const LAYER_WIDTH: Record<Layer, number> = { q: 80, h: 160, f: 320 };
/** Frame payload bytes per layer: about 36 / 96 / 130 kbit/s at 15 fps. */
const FRAME_BYTES: Record<Layer, number> = { q: 300, h: 800, f: 1_080 };
const FRAME_MS = 66;
const MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const RID_URI = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';

interface LayerState {
  ssrc: number;
  seq: number;
  ts: number;
  keyframeDue: boolean;
  lastKeyframeAt: number;
  active: boolean;
}

export interface SimulcastPublisher {
  participant: RoomParticipant<unknown>;
  sessionId(): string;
  /** Keyframes sent per layer, and those sent because a PLI asked. */
  keyframes: Record<Layer, number>;
  pliKeyframes: Record<Layer, number>;
  /** Packets sent per layer. */
  sent: Record<Layer, number>;
  /** The `layers` events received (dynacast), in order, with their arrival time. */
  layerEvents: Array<{ at: number; active: string[] }>;
  leave(): Promise<void>;
}

/** A VP8 frame of `layer` as one RTP payload (descriptor S=1, PID 0; fits one packet). */
export function syntheticVp8(layer: Layer, keyframe: boolean): Buffer {
  const out = Buffer.alloc(FRAME_BYTES[layer], 0x55);
  out[0] = 0x10; // VP8 payload descriptor: start of partition 0
  // Frame tag (RFC 6386 9.1): P bit (0 = key frame), version 0, show_frame, partition size.
  out[1] = keyframe ? 0x10 : 0x11;
  out[2] = 0x02;
  out[3] = 0x00;
  if (keyframe) {
    out[4] = 0x9d;
    out[5] = 0x01;
    out[6] = 0x2a;
    out.writeUInt16LE(LAYER_WIDTH[layer], 7);
    out.writeUInt16LE((LAYER_WIDTH[layer] * 9) / 16, 9);
  }
  out[out.length - 1] = layer.charCodeAt(0);
  return out;
}

/** The layer a received synthetic payload belongs to (its last byte). */
export function layerOf(payload: Buffer): Layer | undefined {
  const c = String.fromCharCode(payload[payload.length - 1] ?? 0);
  return (LAYERS as readonly string[]).includes(c) ? (c as Layer) : undefined;
}

export async function joinSimulcastPublisher(options: {
  api: MediaApi;
  room: string;
  keyframeIntervalMs?: number;
}): Promise<SimulcastPublisher> {
  const keyframeIntervalMs = options.keyframeIntervalMs ?? 30_000;
  const keyframes: Record<Layer, number> = { q: 0, h: 0, f: 0 };
  const pliKeyframes: Record<Layer, number> = { q: 0, h: 0, f: 0 };
  const sent: Record<Layer, number> = { q: 0, h: 0, f: 0 };
  const layerEvents: SimulcastPublisher['layerEvents'] = [];
  const layers = new Map<Layer, LayerState>(
    LAYERS.map((rid) => [
      rid,
      {
        ssrc: randomInt(1, 2 ** 31),
        seq: randomInt(0, 65_536),
        ts: randomInt(0, 2 ** 31),
        keyframeDue: true,
        lastKeyframeAt: 0,
        active: true,
      },
    ]),
  );
  let transceiver: RTCRtpTransceiver | undefined;
  let timer: NodeJS.Timeout | undefined;
  let offRtcp: (() => void) | undefined;

  const onPli = (mediaSsrc: number) => {
    for (const [rid, l] of layers) {
      if (l.ssrc !== mediaSsrc || l.keyframeDue) continue;
      l.keyframeDue = true;
      pliKeyframes[rid]++;
    }
  };

  const tick = () => {
    const t = transceiver;
    const dtls = t?.sender.dtlsTransport as RTCDtlsTransport | undefined;
    if (!t || !dtls || dtls.state !== 'connected') return;
    offRtcp ??= dtls.onRtcp.subscribe((rtcp) => {
      if (rtcp.type !== RtcpPayloadSpecificFeedback.type) return;
      const fb = (rtcp as RtcpPayloadSpecificFeedback).feedback;
      if (fb.count === PictureLossIndication.count) onPli((fb as PictureLossIndication).mediaSsrc);
    }).unSubscribe;
    const midId = t.headerExtensions.find((e) => e.uri === MID_URI)?.id;
    const ridId = t.headerExtensions.find((e) => e.uri === RID_URI)?.id;
    const payloadType = t.sender.codec?.payloadType;
    if (!midId || !ridId || payloadType === undefined || !t.mid) return;
    const now = Date.now();
    for (const [rid, l] of layers) {
      if (!l.active) continue;
      const key = l.keyframeDue || now - l.lastKeyframeAt >= keyframeIntervalMs;
      if (key) {
        l.keyframeDue = false;
        l.lastKeyframeAt = now;
        keyframes[rid]++;
      }
      l.seq = (l.seq + 1) & 0xffff;
      l.ts = (l.ts + 90 * FRAME_MS) >>> 0;
      const header = new RtpHeader({
        payloadType,
        sequenceNumber: l.seq,
        timestamp: l.ts,
        ssrc: l.ssrc,
        marker: true,
        extension: true,
        extensions: [
          { id: midId, payload: Buffer.from(t.mid) },
          { id: ridId, payload: Buffer.from(rid) },
        ],
      });
      sent[rid]++;
      dtls.sendRtp(syntheticVp8(rid, key), header).catch(() => {});
    }
  };

  const participant = new RoomParticipant<unknown>({
    api: options.api,
    room: options.room,
    peerFactory: () => {
      const pc = createLoopbackPeer();
      transceiver = pc.addTransceiver('video', {
        direction: 'sendonly',
        sendEncodings: LAYERS.map((rid) => ({ rid })),
      });
      timer ??= setInterval(tick, FRAME_MS);
      return wrapWeriftPeer(pc) as never;
    },
  });
  participant.on('event', (event) => {
    if (event.type !== 'layers') return;
    layerEvents.push({ at: performance.now(), active: event.active });
    for (const [rid, l] of layers) {
      const on = event.active.includes(rid);
      if (on && !l.active) l.keyframeDue = true;
      l.active = on;
    }
  });
  await participant.join();
  return {
    participant,
    sessionId: () => participant.session?.info?.sessionId ?? '',
    keyframes,
    pliKeyframes,
    sent,
    layerEvents,
    leave: async () => {
      clearInterval(timer);
      offRtcp?.();
      await participant.leave();
    },
  };
}
