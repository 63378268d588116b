/**
 * Interop with Firefox ESR (Debian `firefox-esr`, headless over WebDriver BiDi with
 * puppeteer-core) through the public API only: VP8 echo, and a two-party room with Chromium
 * where Firefox joins first and answers the node's renegotiation offer. Each side checks what it
 * decoded: the other's canvas colour, audio (Chromium finds the 1 kHz sine of Firefox's fake
 * microphone; Firefox, without an audio device, checks its decoded audio energy) and
 * data-channel messages both ways; ICE runs on 127.0.0.1 only. Firefox ESR has no H.264 here (no OpenH264 plugin offline): that is checked too.
 */
import type { Browser as Chromium } from 'playwright-core';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserPeer,
  callInPage,
  hears,
  joinFromTab,
  type PeerReport,
  shows,
} from './support/browser-peer.ts';
import { launchChromium } from './support/chromium.ts';
import { type FirefoxHandle, launchFirefox } from './support/firefox.ts';
import { recordInterop } from './support/interop-matrix.ts';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const FIREFOX_TONE_HZ = 1000;
const LOOPBACK_PAIR = /^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/;

let stack: TestStack;
let firefox: FirefoxHandle | undefined;
let chromium: Chromium | undefined;

beforeAll(async () => {
  [stack, firefox, chromium] = await Promise.all([
    startTestStack(),
    launchFirefox(),
    launchChromium({
      fakeMedia: false,
      extraArgs: ['--autoplay-policy=no-user-gesture-required'],
    }),
  ]);
});

afterAll(async () => {
  await firefox?.close();
  await chromium?.close();
  await stack?.teardown();
});

function stackName(): string {
  return `Firefox ESR ${firefox?.version.split('/')[1]?.split('.')[0]}`;
}

async function firefoxTab(): Promise<Page> {
  if (!firefox) throw new Error('no firefox');
  return firefox.browser.newPage();
}

async function joinFirefox(o: Parameters<typeof joinFromTab>[2]): Promise<BrowserPeer> {
  const page = await firefoxTab();
  return joinFromTab(
    stack,
    {
      goto: (url) => page.goto(url),
      addScriptTag: (options) => page.addScriptTag(options),
      call: (method, arg) => page.evaluate(callInPage, [method, arg] as [string, unknown]),
      close: () => page.close(),
    },
    { ...o, microphone: true },
  );
}

async function joinChromium(o: Parameters<typeof joinFromTab>[2]): Promise<BrowserPeer> {
  if (!chromium) throw new Error('no chromium');
  const page = await chromium.newPage();
  return joinFromTab(
    stack,
    {
      goto: (url) => page.goto(url),
      addScriptTag: (options) => page.addScriptTag(options),
      call: (method, arg) => page.evaluate(callInPage, [method, arg] as [string, unknown]),
      close: () => page.close(),
    },
    o,
  );
}

/**
 * Decoded frames of colour `rgb`, audio that is not silence, and `message`. A Chromium page
 * also checks the tone's frequency (WebAudio); Firefox's WebAudio does not run without an
 * audio output device (its AudioContext stays `suspended` on a headless machine), so a Firefox
 * page checks the energy of the audio it decoded (its `inbound-rtp` stats) instead.
 */
function decodes(r: PeerReport, rgb: string, audio: Audio, message?: string): boolean {
  const got = message === undefined || r.messages.includes(message);
  const sound = audio === 'energy' ? r.decodedAudioEnergy > 0.01 : hears(r, audio.hz);
  return r.framesDecoded > 10 && shows(r, rgb) && sound && got;
}

type Audio = 'energy' | { hz: number };

describe('Firefox ESR', () => {
  it('echo VP8: decodes its own colour, the fake microphone audio and its data message, on loopback', async () => {
    const rgb = 'd04010';
    const peer = await joinFirefox({
      device: 'firefox-echo',
      codec: 'VP8',
      rgb,
      message: 'f-echo',
    });
    try {
      const r = await peer.until((x) => decodes(x, rgb, 'energy', 'f-echo'));
      expect(r, JSON.stringify(r)).toSatisfy((x: PeerReport) =>
        decodes(x, rgb, 'energy', 'f-echo'),
      );
      expect(r.sentCodec).toBe('video/VP8');
      expect(r.pair).toMatch(LOOPBACK_PAIR);
      await recordInterop({
        stack: stackName(),
        mode: 'echo',
        codec: 'VP8 + Opus',
        setupMs: r.setupMs ?? Number.NaN,
      });
      await (await stack.api('firefox-echo')).deleteSession(peer.sessionId);
    } finally {
      await peer.close();
    }
  }, 60_000);

  it('room VP8 with Chromium: Firefox answers the re-offer, each decodes the other, messages both ways', async () => {
    const room = 'firefox-room';
    const a = await joinFirefox({
      device: 'firefox-a',
      room,
      codec: 'VP8',
      rgb: 'a06040',
      message: 'from-firefox',
    });
    try {
      const joined = await a.until((x) => x.connected);
      expect(joined.connected).toBe(true);
      const b = await joinChromium({
        device: 'chromium-b',
        room,
        codec: 'VP8',
        rgb: '3030d0',
        message: 'from-chromium',
      });
      try {
        const ra = await a.until((x) => decodes(x, '3030d0', 'energy', 'from-chromium'));
        expect(ra, JSON.stringify(ra)).toSatisfy((x: PeerReport) =>
          decodes(x, '3030d0', 'energy', 'from-chromium'),
        );
        // Firefox's first message went out before Chromium joined: send one now.
        await a.send('firefox-late');
        const rb = await b.until((x) =>
          decodes(x, 'a06040', { hz: FIREFOX_TONE_HZ }, 'firefox-late'),
        );
        expect(rb, JSON.stringify(rb)).toSatisfy((x: PeerReport) =>
          decodes(x, 'a06040', { hz: FIREFOX_TONE_HZ }, 'firefox-late'),
        );
        expect([ra.sentCodec, rb.sentCodec]).toEqual(['video/VP8', 'video/VP8']);
        expect(ra.pair).toMatch(LOOPBACK_PAIR);
        const api = await stack.api('firefox-a', { room });
        const nodeId = (await api.getSession(a.sessionId)).node?.id;
        const node = stack.nodes.find((n) => n.id === nodeId);
        const metrics = parseMetrics(await (await fetch(`${node?.url}/metrics`)).text());
        expect(sampleValue(metrics, 'media_forwarder_subscribers', { path: 'fast' })).toBe(4);
        expect(sampleValue(metrics, 'media_forwarder_subscribers', { path: 'stock' })).toBe(0);
        expect(sampleValue(metrics, 'media_forwarder_fallbacks_total')).toBe(0);
        await recordInterop({
          stack: stackName(),
          mode: 'room',
          codec: 'VP8 + Opus (with Chromium)',
          setupMs: ra.setupMs ?? Number.NaN,
        });
        await (await stack.api('chromium-b', { room })).deleteSession(b.sessionId);
      } finally {
        await b.close();
      }
      await deleteAs('firefox-a', room, a.sessionId);
    } finally {
      await a.close();
    }
  }, 60_000);

  it('H.264: not offered (Firefox ESR encodes and decodes it only with the OpenH264 plugin, a download)', async () => {
    const page = await firefoxTab();
    try {
      await page.goto(`${stack.edgeUrl}/healthz`);
      // Evaluated as text: the test's TypeScript has no DOM types.
      const codecs = (await page.evaluate(
        `[RTCRtpSender, RTCRtpReceiver].flatMap((k) => k.getCapabilities('video').codecs.map((c) => c.mimeType))`,
      )) as string[];
      expect(codecs).toContain('video/VP8');
      // If this fails, the plugin is there: add the H.264 echo and room cells.
      expect(codecs).not.toContain('video/H264');
    } finally {
      await page.close();
    }
  }, 30_000);
});

async function deleteAs(device: string, room: string, sessionId: string): Promise<void> {
  await (await stack.api(device, { room })).deleteSession(sessionId);
}
