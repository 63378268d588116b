/**
 * An independent WebRTC stack (a Python process: aiortc or GStreamer webrtcbin) joined to a
 * session through the public API. The process speaks JSON lines (test/interop/*.py): it prints
 * its offer, takes the node's answer and renegotiation offers, and after its media time prints
 * what it decoded. Offers from the node arrive on the session's event socket.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { MediaApi } from '../../client/api.ts';
import { MediaApiError } from '../../client/errors.ts';
import { EventStream } from '../../client/event-stream.ts';

export const PYTHON = '/usr/bin/python3';

/** What the peer decoded from the node during its run. */
export interface InteropResult {
  frames: number;
  /** Median I420 plane means of the decoded frames. */
  y: number | null;
  u: number | null;
  v: number | null;
  /** Median RMS of the second half of the decoded audio (s16). */
  rms: number | null;
  messages: string[];
  connection: string;
}

export interface InteropPeer {
  result: Promise<InteropResult>;
  /** Offer posted -> the session's `connected` event, in ms. */
  setupMs: Promise<number>;
}

/** Starts `script` with `args` for `sessionId`; `cleanup` gets what ends it. */
export function startInteropPeer(
  api: MediaApi,
  sessionId: string,
  script: string,
  args: string[],
  cleanup: Array<() => void>,
): InteropPeer {
  const child = spawn(PYTHON, [script, ...args]);
  cleanup.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const events = new EventStream({ url: (since) => api.eventsUrl(sessionId, since) });
  cleanup.push(() => events.close());
  let offeredAt = 0;
  let resolveSetup: (ms: number) => void = () => {};
  const setupMs = new Promise<number>((r) => {
    resolveSetup = r;
  });
  events.on('event', (event) => {
    if (event.type === 'offer') child.stdin.write(`${JSON.stringify({ offer: event.sdp })}\n`);
    if (event.type === 'state' && event.state === 'connected') {
      resolveSetup(performance.now() - offeredAt);
    }
  });
  events.connect();
  const result = new Promise<InteropResult>((resolve, reject) => {
    child.on('exit', (code, signal) =>
      reject(new Error(`${script} exited ${code ?? signal}: ${stderr}`)),
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { offer?: string; answer?: string; result?: InteropResult };
      if (msg.offer) {
        offeredAt = performance.now();
        sendOfferRetrying(api, sessionId, msg.offer)
          .then((a) => child.stdin.write(`${JSON.stringify({ answer: a.sdp })}\n`))
          .catch(reject);
      } else if (msg.answer) {
        api.sendAnswer(sessionId, msg.answer).catch(reject);
      } else if (msg.result) {
        resolve(msg.result);
      }
    });
  });
  return { result, setupMs };
}

/** Fails (never skips) when `modules` cannot be imported by Debian's Python. */
export async function requirePython(modules: string, debianPackages: string): Promise<void> {
  const probe = spawn(PYTHON, ['-c', modules]);
  let stderr = '';
  probe.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((r) => {
    probe.on('exit', r);
    probe.on('error', () => r(-1));
  });
  if (code !== 0) {
    throw new Error(
      `${modules} failed (${stderr.trim().split('\n').at(-1)}): install ${debianPackages}`,
    );
  }
}

/**
 * A two-party room of one stack: A joins and connects first, then B joins (so A answers the
 * node's renegotiation offer). Returns both results and B's setup time.
 */
export async function runInteropRoom(o: {
  room: string;
  apis: [MediaApi, MediaApi];
  script: string;
  args: [string[], string[]];
  cleanup: Array<() => void>;
}): Promise<{ a: InteropResult; b: InteropResult; setupMs: number }> {
  const join = async (i: 0 | 1) => {
    const { sessionId } = await o.apis[i].createSession({ room: o.room });
    return startInteropPeer(o.apis[i], sessionId, o.script, o.args[i], o.cleanup);
  };
  const peerA = await join(0);
  await peerA.setupMs;
  const peerB = await join(1);
  const [a, b] = await Promise.all([peerA.result, peerB.result]);
  return { a, b, setupMs: await peerB.setupMs };
}

/** The colour came back: I420 plane means within codec tolerance. */
export function colourMatches(r: InteropResult, c: { y: number; u: number; v: number }): boolean {
  const near = (got: number | null, want: number) => got !== null && Math.abs(got - want) < 12;
  return r.frames > 10 && near(r.y, c.y) && near(r.u, c.u) && near(r.v, c.v);
}

/**
 * Posts an offer, retrying a `503` (a node whose event loop is late on the shared test machine
 * refuses new work with `Retry-After`) as a client should.
 */
async function sendOfferRetrying(
  api: MediaApi,
  sessionId: string,
  sdp: string,
): Promise<{ type: 'answer'; sdp: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api.sendOffer(sessionId, sdp);
    } catch (error) {
      if (attempt >= 4 || !(error instanceof MediaApiError) || error.status !== 503) throw error;
      await new Promise((r) => setTimeout(r, (error.retryAfterSeconds ?? 1) * 1000));
    }
  }
}
