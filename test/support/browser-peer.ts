/**
 * A browser tab (Chromium through playwright-core or Firefox through puppeteer-core) running
 * test/interop/browser-peer.js on the edge's origin: one participant through the public API,
 * and what it decoded.
 */
import type { TestStack } from './stack.ts';

const PEER_SCRIPT = new URL('../interop/browser-peer.js', import.meta.url).pathname;

/** The part of a playwright or puppeteer page the peer needs. */
export interface TabLike {
  goto(url: string): Promise<unknown>;
  addScriptTag(options: { path: string }): Promise<unknown>;
  /** `page.evaluate(callInPage, [method, arg])`. */
  call(method: string, arg?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** The page function for `TabLike.call`: `interopPeer[method](arg)`, a method call. */
export function callInPage([method, arg]: [string, unknown]): unknown {
  const peer = (globalThis as unknown as { interopPeer: Record<string, (a: unknown) => unknown> })
    .interopPeer;
  const fn = peer[method];
  if (!fn) throw new Error(`interopPeer.${method} is missing`);
  return fn.call(peer, arg);
}

/** What the page decoded and sent (see browser-peer.js `report`). */
export interface PeerReport {
  framesDecoded: number;
  audioEnergy: number;
  /** Loudest frequency of the loudest remote audio track, in Hz. */
  audioPeakHz: number;
  /** `totalAudioEnergy` of the inbound audio streams (the receiver's stats). */
  decodedAudioEnergy: number;
  audioPackets: number;
  sentCodec: string;
  /** `local -> remote` addresses of the selected ICE candidate pair. */
  pair: string | null;
  colours: Array<[number, number, number] | null>;
  messages: string[];
  /** What failed in the page (e.g. remote audio WebAudio could not take). */
  errors: string[];
  /** The page's AudioContext state (`running` unless autoplay held it). */
  audioContext: string;
  connected: boolean;
  /** Offer posted -> the session's `connected` event, in ms. */
  setupMs: number | undefined;
}

export interface JoinOptions {
  device: string;
  room?: string;
  codec: string;
  /** The solid colour painted on the canvas track, `rrggbb`. */
  rgb: string;
  /** Sent on the data channel once it opens. */
  message: string;
  /** Audio from the browser's fake microphone instead of a 440 Hz oscillator. */
  microphone?: boolean;
}

export interface BrowserPeer {
  sessionId: string;
  report(): Promise<PeerReport>;
  send(message: string): Promise<void>;
  /** Polls until `ok(report)` or the deadline; returns the last report. */
  until(ok: (r: PeerReport) => boolean, timeoutMs?: number): Promise<PeerReport>;
  close(): Promise<void>;
}

/** Joins from `tab` (a fresh page of either browser). */
export async function joinFromTab(
  stack: TestStack,
  tab: TabLike,
  o: JoinOptions,
): Promise<BrowserPeer> {
  await tab.goto(`${stack.edgeUrl}/healthz`);
  await tab.addScriptTag({ path: PEER_SCRIPT });
  const token = await stack.token({ device: o.device, ...(o.room ? { room: o.room } : {}) });
  const { device: _, ...rest } = o;
  const sessionId = (await tab.call('join', { token, echo: !o.room, ...rest })) as string;
  const report = async () => (await tab.call('report')) as PeerReport;
  return {
    sessionId,
    report,
    send: async (message) => {
      await tab.call('send', message);
    },
    until: async (ok, timeoutMs = 20_000) => {
      const deadline = performance.now() + timeoutMs;
      let r = await report();
      while (!ok(r) && performance.now() < deadline) {
        await new Promise((res) => setTimeout(res, 250));
        r = await report();
      }
      return r;
    },
    close: () => tab.close(),
  };
}

/** Decoded centre pixels close to the painted colour (codec and RGB<->YUV tolerance). */
export function shows(r: PeerReport, rgb: string): boolean {
  const want = [0, 2, 4].map((i) => Number.parseInt(rgb.slice(i, i + 2), 16));
  return r.colours.some((c) => c?.every((v, i) => Math.abs(v - (want[i] ?? 0)) < 40));
}

/** The remote audio's loudest frequency is `hz` (within two FFT bins). */
export function hears(r: PeerReport, hz: number): boolean {
  return r.audioEnergy > 0.01 && Math.abs(r.audioPeakHz - hz) < 50;
}
