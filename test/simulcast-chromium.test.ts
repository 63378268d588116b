/**
 * Issue 16, parts 1 and 5 with a browser: Chromium's demo page publishes its fake camera as
 * simulcast (the SDK's default, rids q/h/f) and the node takes it. Dynacast: alone in the room,
 * every layer is paused at the publisher (the SDK sets `encodings[i].active`; `bytesSent` stops
 * growing); a werift viewer joining brings them back and gets key frames; the viewer capped at
 * `q` leaves h and f paused; uncapped, they are on again.
 *
 * Which layers Chromium actually sends is its bandwidth estimate's choice: without transport-cc
 * or REMB feedback from the node (the estimator's branch adds it) it stays on q here, so the
 * switch between layers is proven with the werift publisher (simulcast.test.ts).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RtpPacket } from 'werift';
import { launchChromium } from './support/chromium.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { parseKeyframe } from './support/vp8-frames.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

const ROOM = 'simulcast-chromium';

let stack: TestStack;
let browser: Browser | undefined;
let viewer: WeriftParticipant | undefined;
const pageLog: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchChromium();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    console.error(pageLog.join('\n'));
    console.error(await stack.logTail());
  }
});

afterAll(async () => {
  await viewer?.leave().catch(() => {});
  await browser?.close();
  await stack?.teardown();
});

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>) {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** rid -> bytes sent, from the page's outbound-rtp stats. */
function layersSent(page: Page): Promise<Record<string, number>> {
  return page.evaluate('globalThis.mediaDemo.layersSent()') as Promise<Record<string, number>>;
}

/** The rids whose `bytesSent` grew over `ms`. */
async function growing(page: Page, ms = 1_500): Promise<string[]> {
  const before = await layersSent(page);
  await new Promise((r) => setTimeout(r, ms));
  const after = await layersSent(page);
  return Object.keys(after)
    .filter((rid) => (after[rid] ?? 0) > (before[rid] ?? 0))
    .sort();
}

/** The rids whose encoding is active, as the SDK set them from the node's `layers` events. */
async function active(page: Page): Promise<string> {
  const on = (await page.evaluate('globalThis.mediaDemo.layersActive()')) as Record<
    string,
    boolean
  >;
  return ['q', 'h', 'f'].filter((rid) => on[rid]).join();
}

describe('simulcast from Chromium', () => {
  it('publishes three layers; dynacast pauses the unused ones and resumes them', async () => {
    if (!browser) throw new Error('no browser');
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => pageLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    const token = await stack.token({ device: 'chromium-publisher' });
    await page.goto(`${stack.edgeUrl}/#token=${token}&room=${ROOM}`);
    await page.click('#join');
    await until('Chromium sends its q layer', 20_000, async () =>
      (await growing(page, 500)).includes('q'),
    );
    expect(Object.keys(await layersSent(page)).sort()).toEqual(['f', 'h', 'q']);
    const publisher = (await page.evaluate('globalThis.mediaDemo.sessionId()')) as string;

    // Alone in the room: nobody receives anything, every layer is paused at the publisher.
    await until('every layer paused', 15_000, async () => (await active(page)) === '');
    await until('nothing sent', 10_000, async () => (await growing(page)).length === 0);

    const keyframes: number[] = [];
    viewer = await joinWerift({
      api: await stack.api('viewer'),
      room: ROOM,
      name: 'viewer',
      test: 'simulcast-chromium',
      onVideoRtp: (from: string, rtp: RtpPacket) => {
        const key = from === publisher ? parseKeyframe(rtp) : undefined;
        if (key) keyframes.push(key.width);
      },
    });
    const framesFrom = () => viewer?.framesFrom(publisher) ?? 0;
    await viewer.until('frames from Chromium', () => framesFrom() >= 10, 20_000);
    expect(keyframes.length).toBeGreaterThan(0);
    expect(await active(page)).toBe('q,h,f');
    expect(await growing(page)).toContain('q');

    const event = viewer.events.find(
      (e) => e.type === 'track' && e.kind === 'video' && e.publisherSessionId === publisher,
    );
    if (event?.type !== 'track') throw new Error('no video track event');
    await viewer.participant.setSubscription(event.trackId, { maxLayer: 'q' });
    await until('only q on', 10_000, async () => (await active(page)) === 'q');
    const frames = framesFrom();
    await viewer.until('frames go on', () => framesFrom() > frames + 10, 10_000);

    await viewer.participant.setSubscription(event.trackId, { maxLayer: 'f' });
    await until('every layer on again', 5_000, async () => (await active(page)) === 'q,h,f');
    await context.close();
  });
});
