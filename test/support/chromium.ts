/**
 * Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded
 * browser). The flags are PLATFORM-NOTES': loopback ICE without mDNS, and nothing that phones
 * home (without the background-networking flags the closed network refuses its connections).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,OptimizationHints,Translate',
];

/** The fake camera and microphone, granted without a prompt. */
const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export interface ChromiumOptions {
  /** Chromium's fake camera and microphone (default true). */
  fakeMedia?: boolean;
  /** More flags, e.g. `--autoplay-policy=no-user-gesture-required`. */
  extraArgs?: string[];
}

/** Starts headless Chromium; fails naming the Debian package when it is not installed. */
export async function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...BASE_ARGS,
      ...(options.fakeMedia === false ? [] : FAKE_MEDIA_ARGS),
      ...(options.extraArgs ?? []),
    ],
  });
}
