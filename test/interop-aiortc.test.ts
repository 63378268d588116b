/**
 * Interop with aiortc (Debian `python3-aiortc` 1.4, AES-CM SRTP, full ICE, per-section ICE
 * credentials, legacy `DTLS/SCTP`), through the public API only: echo (its own colour, sine and
 * data message come back decoded), and a two-party room where the first peer must accept the
 * node's renegotiation offer (`a=setup:actpass`, RFC 8842: aiortc refuses anything else) to
 * receive the second peer's media, and data-channel messages are relayed.
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

const SCRIPT = new URL('./interop/aiortc_peer.py', import.meta.url).pathname;

let stack: TestStack;
const cleanup: Array<() => void> = [];

beforeAll(async () => {
  await requirePython('import aiortc, numpy, av', 'the Debian package python3-aiortc');
  stack = await startTestStack();
});

afterAll(async () => {
  for (const c of cleanup.splice(0)) c();
  await stack?.teardown();
});

function yuvArgs(c: { y: number; u: number; v: number }, seconds: number, message: string) {
  return [`--y=${c.y}`, `--u=${c.u}`, `--v=${c.v}`, `--seconds=${seconds}`, `--message=${message}`];
}

function expectDecoded(r: InteropResult, colour: { y: number; u: number; v: number }): void {
  expect(r, JSON.stringify(r)).toSatisfy((x: InteropResult) => colourMatches(x, colour));
  expect(r.rms ?? 0).toBeGreaterThan(1000);
}

describe('aiortc', () => {
  it('echo: decodes its own colour and sine, gets its data message back', async () => {
    const api = await stack.api('aiortc-echo');
    const { sessionId } = await api.createSession({ echo: true });
    const colour = { y: 150, u: 90, v: 170 };
    const peer = startInteropPeer(api, sessionId, SCRIPT, yuvArgs(colour, 5, 'echo-ping'), cleanup);
    const result = await peer.result;
    expect(result.connection).toBe('connected');
    expectDecoded(result, colour);
    expect(result.messages).toContain('echo-ping');
    await recordInterop({
      stack: 'aiortc 1.4',
      mode: 'echo',
      codec: 'VP8 + Opus',
      setupMs: await peer.setupMs,
    });
  }, 60_000);

  it('room: the first peer accepts the re-offer and both decode the other', async () => {
    const room = 'aiortc-room';
    const apiA = await stack.api('aiortc-a', { room });
    const apiB = await stack.api('aiortc-b', { room });
    const a = { y: 200, u: 50, v: 120 };
    const b = { y: 70, u: 190, v: 90 };
    const {
      a: ra,
      b: rb,
      setupMs,
    } = await runInteropRoom({
      room,
      apis: [apiA, apiB],
      script: SCRIPT,
      args: [yuvArgs(a, 9, 'from-a'), yuvArgs(b, 6, 'from-b')],
      cleanup,
    });
    expectDecoded(ra, b);
    expectDecoded(rb, a);
    expect(ra.messages).toContain('from-b');
    await recordInterop({
      stack: 'aiortc 1.4',
      mode: 'room',
      codec: 'VP8 + Opus',
      setupMs,
    });
  }, 60_000);
});
