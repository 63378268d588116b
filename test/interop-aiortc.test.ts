/**
 * Interop with aiortc (Debian `python3-aiortc` 1.4, AES-CM SRTP, full ICE, no bundle-only),
 * through the public API only: echo (its own colour and sine come back decoded), and a
 * two-party room where the first peer must accept the node's renegotiation offer (actpass,
 * RFC 8842) to receive the second peer's media, and data-channel messages are relayed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaApi } from '../client/api.ts';
import { EventStream } from '../client/event-stream.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./interop/aiortc_peer.py', import.meta.url).pathname;

interface Result {
  frames: number;
  y: number | null;
  u: number | null;
  v: number | null;
  rms: number | null;
  messages: string[];
  connection: string;
}

/** One aiortc process joined to a session; resolves its result after `seconds` of media. */
async function aiortcPeer(
  api: MediaApi,
  session: { sessionId: string },
  colour: { y: number; u: number; v: number },
  seconds: number,
  message: string,
  cleanup: Array<() => void>,
): Promise<{ result: Promise<Result>; setupMs: Promise<number> }> {
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [
    SCRIPT,
    `--seconds=${seconds}`,
    `--y=${colour.y}`,
    `--u=${colour.u}`,
    `--v=${colour.v}`,
    `--message=${message}`,
  ]);
  cleanup.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const events = new EventStream({ url: (since) => api.eventsUrl(session.sessionId, since) });
  cleanup.push(() => events.close());
  const lines = createInterface({ input: child.stdout });
  const started = performance.now();
  let resolveSetup: (ms: number) => void = () => {};
  const setupMs = new Promise<number>((r) => {
    resolveSetup = r;
  });
  events.on('event', (event) => {
    if (event.type === 'offer') child.stdin.write(`${JSON.stringify({ offer: event.sdp })}\n`);
    if (event.type === 'state' && event.state === 'connected') {
      resolveSetup(performance.now() - started);
    }
  });
  events.connect();
  const result = new Promise<Result>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`aiortc exited ${code}: ${stderr.slice(-2000)}`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { offer?: string; answer?: string; result?: Result };
      if (msg.offer) {
        api
          .sendOffer(session.sessionId, msg.offer)
          .then((a) => child.stdin.write(`${JSON.stringify({ answer: a.sdp })}\n`))
          .catch(reject);
      } else if (msg.answer) {
        api.sendAnswer(session.sessionId, msg.answer).catch(reject);
      } else if (msg.result) resolve(msg.result);
    });
  });
  return { result, setupMs };
}

let stack: TestStack;
const cleanup: Array<() => void> = [];

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3`);
  const probe = spawn(PYTHON, ['-c', 'import aiortc, numpy, av']);
  const code = await new Promise<number | null>((r) => probe.on('exit', r));
  if (code !== 0) {
    throw new Error('aiortc is missing: install the Debian package python3-aiortc');
  }
  stack = await startTestStack();
});

afterAll(async () => {
  for (const c of cleanup.splice(0)) c();
  await stack?.teardown();
});

/** The colour came back: yuv420p plane means within codec tolerance. */
function expectColour(r: Result, c: { y: number; u: number; v: number }): void {
  expect(r.frames).toBeGreaterThan(10);
  expect(Math.abs((r.y ?? -999) - c.y)).toBeLessThan(12);
  expect(Math.abs((r.u ?? -999) - c.u)).toBeLessThan(12);
  expect(Math.abs((r.v ?? -999) - c.v)).toBeLessThan(12);
}

describe('aiortc', () => {
  it('echo: decodes its own colour and sine, gets its data message back', async () => {
    const api = await stack.api('aiortc-echo');
    const session = await api.createSession({ echo: true });
    const colour = { y: 150, u: 90, v: 170 };
    const peer = await aiortcPeer(api, session, colour, 5, 'echo-ping', cleanup);
    const result = await peer.result;
    expect(result.connection).toBe('connected');
    expectColour(result, colour);
    expect(result.rms).toBeGreaterThan(1000);
    expect(result.messages).toContain('echo-ping');
    console.info(`[interop] aiortc echo VP8+opus setup ${Math.round(await peer.setupMs)} ms`);
  }, 60_000);

  it('room: the first peer accepts the re-offer and both decode the other', async () => {
    const room = 'aiortc-room';
    const apiA = await stack.api('aiortc-a', { room });
    const apiB = await stack.api('aiortc-b', { room });
    const a = { y: 200, u: 50, v: 120 };
    const b = { y: 70, u: 190, v: 90 };
    const sessionA = await apiA.createSession({ room });
    const peerA = await aiortcPeer(apiA, sessionA, a, 9, 'from-a', cleanup);
    await peerA.setupMs;
    const sessionB = await apiB.createSession({ room });
    const peerB = await aiortcPeer(apiB, sessionB, b, 6, 'from-b', cleanup);
    const [ra, rb] = await Promise.all([peerA.result, peerB.result]);
    expectColour(ra, b);
    expectColour(rb, a);
    expect(ra.rms).toBeGreaterThan(1000);
    expect(rb.rms).toBeGreaterThan(1000);
    expect(ra.messages).toContain('from-b');
    console.info(`[interop] aiortc room VP8+opus setup ${Math.round(await peerB.setupMs)} ms`);
  }, 60_000);
});
