/**
 * Issue 4, test 3: Chromium (the Debian package, driven by playwright-core, fake camera) opens
 * the demo page, joins a room with a werift participant, and decodes the participant's video
 * (`framesDecoded > 0` from `getStats`); the werift participant gets Chromium's camera too.
 * The screenshot is kept in test-artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.ts';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import { ARTIFACTS, recordSetupTime } from './support/setup-times.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

const ROOM = 'browser-room';

let stack: TestStack;
let browser: Browser | undefined;
let bot: WeriftParticipant | undefined;
const pageLog: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await bot?.leave().catch(() => {});
  await browser?.close();
  await stack?.teardown();
});

/** Evaluates `expression` in the page (awaiting a promise it returns). */
async function demoValue<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

async function until(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the demo page in Chromium', () => {
  it('joins a room with a werift participant and decodes its video', async () => {
    if (!browser) throw new Error('no browser');
    bot = await joinWerift({
      api: await stack.api('werift-bot'),
      room: ROOM,
      name: 'bot',
      test: 'browser',
    });
    // The bot talks (-20 dBov in its RFC 6464 levels): it becomes the room's active speaker.
    bot.source.audioLevel = 20;
    const token = await stack.token({ device: 'chromium-user' });
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    page.on('console', (m) => pageLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    try {
      await page.goto(`${stack.edgeUrl}/#token=${token}&room=${ROOM}`);
      expect(await page.inputValue('#room')).toBe(ROOM);
      const joinedAt = performance.now();
      await page.click('#join');

      // `waitForFunction` would take the promise `framesDecoded()` returns as truthy: poll instead.
      await until(
        'Chromium decodes video',
        20_000,
        async () => (await demoValue<number>(page, 'globalThis.mediaDemo.framesDecoded()')) > 0,
      );
      const firstFrameMs = performance.now() - joinedAt;
      const browserSession = await demoValue<string>(page, 'globalThis.mediaDemo.sessionId()');
      expect(browserSession).toMatch(/\S/);
      await bot.until(
        'frames from Chromium',
        () => (bot?.framesFrom(browserSession) ?? 0) >= 5,
        20_000,
      );

      // Issue 16 part 6: the page outlines the active speaker's tile (the bot's).
      const botSession = bot.sessionId();
      await until(
        "the speaker's tile highlighted",
        10_000,
        async () =>
          (await demoValue<string | null>(page, 'globalThis.mediaDemo.speakerTile()')) ===
          botSession,
      );
      expect(await page.getAttribute(`figure[data-key="${botSession}"]`, 'class')).toMatch(
        /\bspeaking\b/,
      );

      // Let a few frames paint before the picture is taken.
      await page.waitForFunction(
        `[...document.querySelectorAll('#videos video')].filter((v) => v.id !== 'local' && v.readyState >= 2 && v.videoWidth > 0).length >= 1`,
        undefined,
        { timeout: 10_000 },
      );
      await page.waitForTimeout(500);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'demo-page-chromium.png'), fullPage: true });

      const frames = await demoValue<number>(page, 'globalThis.mediaDemo.framesDecoded()');
      const status = await page.textContent('#status');
      const timings = await demoValue<{
        offerToConnectedMs?: number;
        offerToServerConnectedMs?: number;
      }>(page, 'globalThis.mediaDemo.timings()');
      console.log(
        `Chromium decoded ${frames} frames; first frame ${Math.round(firstFrameMs)} ms after Join; ` +
          `offer -> connected ${Math.round(timings.offerToConnectedMs ?? Number.NaN)} ms`,
      );
      expect(frames).toBeGreaterThan(0);
      expect(status).toMatch(/Connected/);
      expect(await page.isHidden('#error')).toBe(true);
      if (timings.offerToConnectedMs !== undefined) {
        await recordSetupTime({
          test: 'browser',
          client: 'chromium',
          offerToConnectedMs: timings.offerToConnectedMs,
          ...(timings.offerToServerConnectedMs === undefined
            ? {}
            : { offerToServerConnectedMs: timings.offerToServerConnectedMs }),
        });
      }

      // Issue 7: the video went through the fast path (native SRTP, synchronous forwarder) in
      // both directions, with no subscriber falling back to werift's stock sender.
      const host = stack.nodes.find((n) => n.id === bot?.nodeId());
      if (!host) throw new Error(`room node ${bot.nodeId()} is not one of the stack's nodes`);
      const metrics = parseMetrics(await (await fetch(`${host.url}/metrics`)).text());
      expect(sampleValue(metrics, 'media_forwarder_subscribers', { path: 'fast' })).toBe(4);
      expect(sampleValue(metrics, 'media_forwarder_subscribers', { path: 'stock' })).toBe(0);
      expect(sampleValue(metrics, 'media_forwarder_fallbacks_total')).toBe(0);

      await page.click('#leave');
      await page.waitForFunction(`document.body.dataset.state === 'ended'`, undefined, {
        timeout: 5_000,
      });
      expect(await page.textContent('#status')).toMatch(/left/);
      const view = await (await stack.api('chromium-user')).getSession(browserSession);
      expect(view.state).toBe('closed');
    } catch (error) {
      await page.screenshot({ path: join(ARTIFACTS, 'demo-page-failure.png') }).catch(() => {});
      console.error(
        `browser session: ${await page.evaluate('globalThis.mediaDemo.sessionId()').catch(String)}\nbot received: ${JSON.stringify([...(bot?.received ?? [])])}\nbot events: ${JSON.stringify(bot?.events.map((e) => [e.type, 'action' in e ? e.action : '', 'kind' in e ? e.kind : '', 'state' in e ? e.state : '']))}\npage log:\n${pageLog.join('\n')}\n${await stack.logTail()}`,
      );
      throw error;
    } finally {
      await context.close();
    }
  });
});
