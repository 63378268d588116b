/**
 * Interop with Chromium (Debian `chromium`, playwright-core) through the public API only, with
 * the video codec forced by `setCodecPreferences`: VP8 and H.264 (packetization-mode 1). Echo
 * and a two-party room (the first page answers the node's renegotiation offer); each page checks
 * the decoded colour (centre pixel of the remote video), audio energy (`totalAudioEnergy`), the
 * relayed data message, that it sent the codec asked for, that the node's header extensions
 * reach it (mid negotiated, the sender's audio level in `getSynchronizationSources`), and the
 * node forwarded everything on the fast path (its own metrics).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.ts';
import { recordInterop } from './support/interop-matrix.ts';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const PEER_SCRIPT = new URL('./interop/browser-peer.js', import.meta.url).pathname;

interface Report {
  framesDecoded: number;
  audioEnergy: number;
  /** Per audio receiver: `getSynchronizationSources()[0].audioLevel` (null without one). */
  audioLevels: Array<number | null>;
  /** Per receiver: the negotiated header extension URIs. */
  receiverExtensions: string[][];
  sentCodec: string;
  colours: Array<[number, number, number] | null>;
  messages: string[];
  connected: boolean;
  setupMs: number | undefined;
}

let stack: TestStack;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchChromium({
    fakeMedia: false,
    extraArgs: ['--autoplay-policy=no-user-gesture-required'],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.teardown();
});

async function openPeer(
  device: string,
  options: { room?: string; codec: string; rgb: string; message: string },
): Promise<{ page: Page; sessionId: string; token: string }> {
  if (!browser) throw new Error('no browser');
  const page = await browser.newPage();
  await page.goto(`${stack.edgeUrl}/healthz`);
  await page.addScriptTag({ path: PEER_SCRIPT });
  const token = await stack.token({ device, ...(options.room ? { room: options.room } : {}) });
  const sessionId = (await page.evaluate(
    (o) =>
      (
        globalThis as unknown as { interopPeer: { join(o: object): Promise<string> } }
      ).interopPeer.join(o),
    { token, echo: !options.room, ...options },
  )) as string;
  return { page, sessionId, token };
}

function report(page: Page): Promise<Report> {
  return page.evaluate(() =>
    (globalThis as unknown as { interopPeer: { report(): Promise<Report> } }).interopPeer.report(),
  );
}

/** Polls the page until `ok(report)` or the deadline; returns the last report. */
async function until(page: Page, ok: (r: Report) => boolean, timeoutMs = 20_000): Promise<Report> {
  const deadline = performance.now() + timeoutMs;
  let r = await report(page);
  while (!ok(r) && performance.now() < deadline) {
    await new Promise((res) => setTimeout(res, 250));
    r = await report(page);
  }
  return r;
}

/** Decoded centre pixels close to the painted colour (codec and RGB<->YUV tolerance). */
function shows(r: Report, rgb: string): boolean {
  const want = [0, 2, 4].map((i) => Number.parseInt(rgb.slice(i, i + 2), 16));
  return r.colours.some((c) => c?.every((v, i) => Math.abs(v - (want[i] ?? 0)) < 40));
}

function decoded(r: Report, rgb: string, message?: string): boolean {
  const got = message === undefined || r.messages.includes(message);
  return r.framesDecoded > 10 && r.audioEnergy > 0.01 && shows(r, rgb) && got && hasLevels(r);
}

const MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const AUDIO_LEVEL = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/**
 * The forwarded audio carries the sender's RFC 6464 level (the 440 Hz tone: above 0, the
 * linear scale of `audioLevel`), and every receiver negotiated mid; audio ones the level.
 */
function hasLevels(r: Report): boolean {
  return (
    r.audioLevels.length > 0 &&
    r.audioLevels.every((l) => l !== null && l > 0) &&
    r.receiverExtensions.length > 0 &&
    r.receiverExtensions.every((uris) => uris.includes(MID)) &&
    r.receiverExtensions.some((uris) => uris.includes(AUDIO_LEVEL))
  );
}

describe.each([
  ['VP8', 'video/VP8'],
  ['H264', 'video/H264'],
] as const)('Chromium %s', (codec, mime) => {
  it('echo: decodes its own colour, audio and data message', async () => {
    const rgb = 'd04010';
    const { page, sessionId } = await openPeer(`chromium-echo-${codec}`, {
      codec,
      rgb,
      message: 'c-echo',
    });
    try {
      const r = await until(page, (x) => decoded(x, rgb, 'c-echo'));
      expect(r, JSON.stringify(r)).toSatisfy((x: Report) => decoded(x, rgb, 'c-echo'));
      expect(r.sentCodec).toBe(mime);
      await recordInterop({
        stack: 'Chromium 156',
        mode: 'echo',
        codec: `${codec} + Opus`,
        setupMs: r.setupMs ?? Number.NaN,
      });
      const api = await stack.api(`chromium-echo-${codec}`);
      await api.deleteSession(sessionId);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('room: renegotiation to the first page, both decode the other, all on the fast path', async () => {
    const room = `chromium-room-${codec}`;
    const a = await openPeer(`chromium-a-${codec}`, {
      room,
      codec,
      rgb: 'a06040',
      message: 'from-a',
    });
    try {
      const b = await openPeer(`chromium-b-${codec}`, {
        room,
        codec,
        rgb: '3030d0',
        message: 'from-b',
      });
      try {
        const [ra, rb] = await Promise.all([
          until(a.page, (x) => decoded(x, '3030d0', 'from-b')),
          // A sent its message before B joined: only B's reaches the other side.
          until(b.page, (x) => decoded(x, 'a06040')),
        ]);
        expect(ra, JSON.stringify(ra)).toSatisfy((x: Report) => decoded(x, '3030d0', 'from-b'));
        expect(rb, JSON.stringify(rb)).toSatisfy((x: Report) => decoded(x, 'a06040'));
        expect([ra.sentCodec, rb.sentCodec]).toEqual([mime, mime]);
        const api = await stack.api(`chromium-a-${codec}`, { room });
        const nodeId = (await api.getSession(a.sessionId)).node?.id;
        const node = stack.nodes.find((n) => n.id === nodeId);
        const metrics = parseMetrics(await (await fetch(`${node?.url}/metrics`)).text());
        expect(sampleValue(metrics, 'media_forwarder_subscribers', { path: 'fast' })).toBe(4);
        expect(sampleValue(metrics, 'media_forwarder_subscribers', { path: 'stock' })).toBe(0);
        expect(sampleValue(metrics, 'media_forwarder_fallbacks_total')).toBe(0);
        // Both pages negotiated transport-cc as subscribers: their feedback drives the node's
        // estimator (one histogram sample per receiving session per second).
        const twcc = { source: 'twcc' };
        const estimates = async () => {
          const m = parseMetrics(await (await fetch(`${node?.url}/metrics`)).text());
          const count = sampleValue(m, 'media_bandwidth_estimate_bps_count', twcc);
          const sum = sampleValue(m, 'media_bandwidth_estimate_bps_sum', twcc);
          return { count, mean: count > 0 ? sum / count : 0 };
        };
        let e = await estimates();
        for (let i = 0; i < 20 && e.count < 2; i++) {
          await new Promise((res) => setTimeout(res, 250));
          e = await estimates();
        }
        expect(e.count).toBeGreaterThanOrEqual(2);
        // Audio and video flow: no estimate near the 30 kbit/s floor.
        expect(e.mean).toBeGreaterThan(100_000);
        // ...and the public session view says so, within its 2 s freshness (the edge reuses a
        // session's stats for 1 s: the read above that found the node may have cached older ones).
        let stats = (await api.getSession(a.sessionId)).stats;
        for (let i = 0; i < 12 && stats?.estimateSource !== 'twcc'; i++) {
          await new Promise((res) => setTimeout(res, 250));
          stats = (await api.getSession(a.sessionId)).stats;
        }
        expect(stats?.estimateSource).toBe('twcc');
        expect(stats?.estimateBps).toBeGreaterThan(100_000);
        await recordInterop({
          stack: 'Chromium 156',
          mode: 'room',
          codec: `${codec} + Opus`,
          setupMs: rb.setupMs ?? Number.NaN,
        });
        await (await stack.api(`chromium-b-${codec}`, { room })).deleteSession(b.sessionId);
      } finally {
        await b.page.close();
      }
      await deleteSessionAs(a.sessionId, `chromium-a-${codec}`, room);
    } finally {
      await a.page.close();
    }
  }, 60_000);
});

async function deleteSessionAs(sessionId: string, device: string, room: string): Promise<void> {
  await (await stack.api(device, { room })).deleteSession(sessionId);
}
