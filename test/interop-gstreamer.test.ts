/**
 * Interop with GStreamer 1.22 `webrtcbin` (Debian), through the public API only. webrtcbin
 * offers with `bundle-policy=max-bundle`, so its audio comes as `m=audio 0 ... a=bundle-only`
 * (RFC 8843): the node must bundle it (it used to answer it inactive: silence). Echo and a
 * two-party room with renegotiation and a data-channel message, VP8 + Opus and H.264 (x264enc,
 * constrained baseline) + Opus; each side checks the decoded colour and audio energy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordInterop } from './support/interop-matrix.ts';
import {
  colourMatches,
  type InteropResult,
  requirePython,
  runInteropRoom,
  startInteropPeer,
} from './support/interop-peer.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const SCRIPT = new URL('./interop/gst_peer.py', import.meta.url).pathname;
const PACKAGES =
  'the Debian packages python3-gi gir1.2-gst-plugins-bad-1.0 gir1.2-nice-0.1 gstreamer1.0-plugins-bad ' +
  'gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-nice';

let stack: TestStack;
const cleanup: Array<() => void> = [];

beforeAll(async () => {
  await requirePython(
    [
      'import gi',
      "gi.require_version('Gst', '1.0')",
      "gi.require_version('GstWebRTC', '1.0')",
      "gi.require_version('Nice', '0.1')",
      'from gi.repository import Gst, GstWebRTC, Nice',
      'Gst.init(None)',
      "missing = [e for e in ['webrtcbin', 'nicesrc', 'vp8enc', 'x264enc', 'opusenc', 'rtpvp8pay', 'rtph264pay', 'decodebin', 'vp8dec', 'openh264dec', 'opusdec'] if not Gst.ElementFactory.find(e)]",
      "assert not missing, 'missing GStreamer elements: ' + ' '.join(missing)",
    ].join('; '),
    PACKAGES,
  );
  stack = await startTestStack();
});

afterAll(async () => {
  for (const c of cleanup.splice(0)) c();
  await stack?.teardown();
});

/** A solid RGB colour and its BT.601 studio-range I420 values (videoconvert's default). */
function colour(rgb: string): { rgb: string; y: number; u: number; v: number } {
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(rgb.slice(i, i + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
  return {
    rgb,
    y: 16 + 65.481 * r + 128.553 * g + 24.966 * b,
    u: 128 - 37.797 * r - 74.203 * g + 112 * b,
    v: 128 + 112 * r - 93.786 * g - 18.214 * b,
  };
}

function peerArgs(codec: string, c: { rgb: string }, seconds: number, message: string) {
  return [`--codec=${codec}`, `--rgb=${c.rgb}`, `--seconds=${seconds}`, `--message=${message}`];
}

function expectDecoded(r: InteropResult, c: { y: number; u: number; v: number }): void {
  expect(r, JSON.stringify(r)).toSatisfy((x: InteropResult) => colourMatches(x, c));
  expect(r.rms ?? 0).toBeGreaterThan(1000);
}

describe.each([
  ['vp8', 'VP8 + Opus'],
  ['h264', 'H.264 + Opus'],
] as const)('webrtcbin %s', (codec, label) => {
  it('echo: max-bundle audio is bundled; its colour, sine and data message come back', async () => {
    const api = await stack.api(`gst-echo-${codec}`);
    const { sessionId } = await api.createSession({ echo: true });
    const c = colour('c04020');
    const peer = startInteropPeer(
      api,
      sessionId,
      SCRIPT,
      peerArgs(codec, c, 6, 'gst-ping'),
      cleanup,
    );
    const result = await peer.result;
    expectDecoded(result, c);
    expect(result.messages).toContain('gst-ping');
    await recordInterop({
      stack: 'GStreamer 1.22 webrtcbin',
      mode: 'echo',
      codec: label,
      setupMs: await peer.setupMs,
    });
  }, 60_000);

  it('room: renegotiation to the first peer, both decode the other', async () => {
    const room = `gst-room-${codec}`;
    const apiA = await stack.api(`gst-a-${codec}`, { room });
    const apiB = await stack.api(`gst-b-${codec}`, { room });
    const a = colour('20a040');
    const b = colour('4020c0');
    const {
      a: ra,
      b: rb,
      setupMs,
    } = await runInteropRoom({
      room,
      apis: [apiA, apiB],
      script: SCRIPT,
      args: [peerArgs(codec, a, 10, 'from-a'), peerArgs(codec, b, 7, 'from-b')],
      cleanup,
    });
    expectDecoded(ra, b);
    expectDecoded(rb, a);
    expect(ra.messages).toContain('from-b');
    await recordInterop({
      stack: 'GStreamer 1.22 webrtcbin',
      mode: 'room',
      codec: label,
      setupMs,
    });
  }, 60_000);
});
