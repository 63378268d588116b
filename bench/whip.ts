/**
 * Issue 17's figures, from one run on the whole stack (edge in workerd, one media node, webhooks
 * on towards a receiver in this process that verifies every delivery with `standardwebhooks`):
 *
 * - WHIP publish -> first key frame at a viewer: a werift WHIP publisher starts (offer, ICE
 *   gathering, POST) in an empty room where a werift WHEP viewer waits; the time until the
 *   viewer holds the first complete VP8 key frame (decodable). Baseline, same run: the SDK
 *   publishing the same media (werift participant: create session, offer, connect) to the same
 *   kind of viewer.
 * - Webhook delivery latency, event -> receiver, over every event of the run (by type too).
 *   Baseline, same run: the same `connected` moment of each SDK session reaching the session's
 *   own events WebSocket (its `state` event) vs its `session.connected` webhook.
 *
 *   npm run bench:whip [-- --rounds 10]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaApi } from '../client/api.ts';
import { startStack } from '../scripts/stack/stack.ts';
import { freePorts } from '../test/support/free-port.ts';
import { WebhookReceiver } from '../test/support/webhook-receiver.ts';
import { joinWerift } from '../test/support/werift-participant.ts';
import { startWeriftWhip } from '../test/support/werift-whip.ts';
import { startWhepViewer, type WhepViewer } from '../test/support/whep-viewer.ts';
import { numberOption } from './lib/args.ts';
import { ownChild, ownDir } from './lib/children.ts';
import { machineInfo, printTable, writeResults } from './lib/results.ts';
import { ratio, summarize } from './lib/stats.ts';

const argv = process.argv.slice(2);
const ROUNDS = numberOption(argv, 'rounds', 10);
/** How long a viewer may wait for the first key frame, in ms. */
const FRAME_TIMEOUT_MS = 15_000;

const machine = machineInfo();
console.log(`WHIP and webhooks benchmark: ${ROUNDS} rounds (WHIP and SDK publish, one each)`);
console.log(
  `machine: ${machine.cpuModel} x ${machine.cpus}, kernel ${os.release()}, load average ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const [receiverPort = 0, edgePort = 0, nodePort = 0] = await freePorts(3);
const receiver = new WebhookReceiver(secret, receiverPort);
await receiver.start();
const workDir = ownDir(await mkdtemp(join(tmpdir(), 'bench-whip-')));
const stack = await startStack({
  edgePort,
  nodePorts: [nodePort],
  workDir: join(workDir, 'stack'),
  edgeVars: { WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: secret },
  logs: 'files',
  onChild: (child) => ownChild(child),
});

/** ms from `t0` until `viewer` holds its first complete key frame. */
async function firstKeyframe(viewer: WhepViewer, t0: number): Promise<number> {
  await viewer.until(
    'a key frame',
    () => viewer.video.firstKeyframe !== undefined,
    FRAME_TIMEOUT_MS,
  );
  return (viewer.video.firstKeyframe?.at ?? Number.NaN) - t0;
}

async function viewerIn(room: string): Promise<WhepViewer> {
  const token = await stack.token({ device: `viewer-${room}`, room });
  return startWhepViewer(`${stack.edgeUrl}/api/media/whep/${room}`, token);
}

/** Ends the viewer's session too (its room finishes now, not at the node's ICE timeout). */
async function closeViewer(viewer: WhepViewer, room: string): Promise<void> {
  const token = await stack.token({ device: `viewer-${room}`, room });
  await fetch(new URL(viewer.location, stack.edgeUrl), {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  await viewer.close();
}

const whipMs: number[] = [];
const whipPostToFrameMs: number[] = [];
const sdkMs: number[] = [];
/** Per SDK session: when its `connected` happened (edge clock) and reached the client socket. */
const socketConnected = new Map<string, { at: number; arrivedAt: number }>();

try {
  for (let i = 0; i < ROUNDS; i++) {
    const whipRoom = `bench-whip-${i}`;
    const whipViewer = await viewerIn(whipRoom);
    const t0 = performance.now();
    const publisher = await startWeriftWhip(
      `${stack.edgeUrl}/api/media/whip/${whipRoom}`,
      await stack.token({ device: `whip-${i}`, room: whipRoom }),
    );
    const ms = await firstKeyframe(whipViewer, t0);
    whipMs.push(ms);
    whipPostToFrameMs.push(ms - (publisher.postedAt - t0));
    await publisher.close();
    await closeViewer(whipViewer, whipRoom);

    const sdkRoom = `bench-sdk-${i}`;
    const sdkViewer = await viewerIn(sdkRoom);
    const api = new MediaApi({
      baseUrl: stack.edgeUrl,
      token: await stack.token({ device: `sdk-${i}`, room: sdkRoom }),
    });
    const s0 = performance.now();
    const sdk = await joinWerift({
      api,
      room: sdkRoom,
      name: `sdk-${i}`,
      test: 'bench-whip',
      onEvent: (event) => {
        if (event.type === 'state' && event.state === 'connected') {
          socketConnected.set(event.sessionId, { at: Date.parse(event.at), arrivedAt: Date.now() });
        }
      },
    });
    sdkMs.push(await firstKeyframe(sdkViewer, s0));
    // Its `connected` event may still be on the way (the viewer can be quicker).
    await sdk.until('the connected event', () => socketConnected.has(sdk.sessionId()), 10_000);
    await sdk.leave();
    await closeViewer(sdkViewer, sdkRoom);
    console.log(
      `  round ${i + 1}: WHIP ${Math.round(whipMs.at(-1) ?? 0)} ms, SDK ${Math.round(sdkMs.at(-1) ?? 0)} ms`,
    );
  }
  // The last sessions' ended events are on their way.
  const expected = ROUNDS * 2;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (receiver.arrivals.filter((a) => a.type === 'room.finished').length >= expected) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const latencies = receiver.arrivals.map((a) => a.arrivedAt - a.at);
  const byType = new Map<string, number[]>();
  for (const a of receiver.arrivals) {
    byType.set(a.type, [...(byType.get(a.type) ?? []), a.arrivedAt - a.at]);
  }
  const hookConnected: number[] = [];
  const socket: number[] = [];
  for (const [sessionId, s] of socketConnected) {
    const hook = receiver.arrivals.find(
      (a) => a.type === 'session.connected' && a.data.sessionId === sessionId,
    );
    socket.push(s.arrivedAt - s.at);
    if (hook) hookConnected.push(hook.arrivedAt - hook.at);
  }

  const w = summarize(whipMs);
  const wp = summarize(whipPostToFrameMs);
  const s = summarize(sdkMs);
  const publishRows = [
    { path: 'WHIP (werift publisher)', ...row(w), 'x SDK p50': ratio(w.p50, s.p50) },
    { path: 'WHIP, from the POST', ...row(wp), 'x SDK p50': ratio(wp.p50, s.p50) },
    { path: 'SDK (baseline)', ...row(s), 'x SDK p50': 1 },
  ];
  printTable('Publish start -> first complete VP8 key frame at a WHEP viewer (ms)', publishRows);
  const all = summarize(latencies);
  const hook = summarize(hookConnected);
  const sock = summarize(socket);
  const hookRows = [
    { events: 'all webhook events', ...row(all), 'x socket p50': ratio(all.p50, sock.p50) },
    {
      events: 'session.connected webhook',
      ...row(hook),
      'x socket p50': ratio(hook.p50, sock.p50),
    },
    { events: 'state connected, events socket (baseline)', ...row(sock), 'x socket p50': 1 },
    ...[...byType].map(([type, values]) => {
      const t = summarize(values);
      return { events: `  ${type}`, ...row(t), 'x socket p50': ratio(t.p50, sock.p50) };
    }),
  ];
  printTable('Event (edge clock) -> arrival (ms)', hookRows);
  const refused = receiver.refused.length;
  if (refused > 0) console.log(`\n${refused} deliveries failed signature verification`);
  const path = writeResults('whip', {
    parameters: { rounds: ROUNDS, nodes: 1, media: 'VP8 320x240 every frame a key frame, Opus' },
    summary: { publish: publishRows, webhooks: hookRows, refusedSignatures: refused },
    raw: { whipMs, whipPostToFrameMs, sdkMs, latencies, hookConnected, socket },
  });
  console.log(`\nwrote ${path}`);
} finally {
  await stack.stop({ nodeTimeoutMs: 10_000 });
  await receiver.stop();
  await rm(workDir, { recursive: true, force: true });
}

function row(x: ReturnType<typeof summarize>) {
  return {
    n: x.count,
    'p50 ms': Math.round(x.p50),
    'p99 ms': Math.round(x.p99),
    'max ms': Math.round(x.max),
  };
}
