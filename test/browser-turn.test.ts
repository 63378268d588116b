/**
 * Issue 14, part 1 in a browser: Chromium (Debian package) with `iceTransportPolicy: 'relay'`
 * and only the session's TURN/TCP url reaches its echo session through a coturn started here,
 * and decodes its own video back.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.ts';
import { startTestCoturn, type TestCoturn } from './support/coturn.ts';
import { recordSetupTime } from './support/setup-times.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

let coturn: TestCoturn;
let stack: TestStack;
let browser: Browser | undefined;

beforeAll(async () => {
  coturn = await startTestCoturn();
  stack = await startTestStack({
    edgeVars: { TURN_URLS: coturn.urls.join(','), TURN_SECRET: coturn.secret },
  });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.teardown();
  await coturn?.stop();
});

interface PageResult {
  offerToConnectedMs: number;
  framesDecoded: number;
  localCandidateType: string;
  relayProtocol: string;
}

/**
 * Runs in the page (plain JS: the tests' tsconfig has no DOM types): an echo session whose peer
 * connection may only use the session's TURN/TCP url; what Chromium's stats say afterwards.
 */
const RELAY_ECHO = `async ({ base, token }) => {
  const auth = { authorization: 'Bearer ' + token, 'content-type': 'application/json' };
  const created = await (await fetch(base + '/api/media/sessions', {
    method: 'POST', headers: auth, body: JSON.stringify({ echo: true }),
  })).json();
  const iceServers = created.iceServers
    .filter((s) => s.username !== undefined)
    .map((s) => ({ ...s, urls: [].concat(s.urls).filter((u) => u.endsWith('?transport=tcp')) }));
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay', bundlePolicy: 'max-bundle' });
  const media = await navigator.mediaDevices.getUserMedia({ video: true });
  for (const track of media.getTracks()) pc.addTrack(track, media);
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  const relayCandidates = (pc.localDescription.sdp.match(/ typ relay/g) || []).length;
  const started = performance.now();
  const connected = new Promise((resolve, reject) => {
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') resolve();
      if (pc.connectionState === 'failed') reject(new Error('connection failed, relay candidates: ' + relayCandidates));
    });
    setTimeout(() => reject(new Error('not connected in 15 s (' + pc.connectionState + '), relay candidates: ' + relayCandidates)), 15000);
  });
  const answer = await (await fetch(base + '/api/media/sessions/' + created.sessionId + '/offer', {
    method: 'POST', headers: auth, body: JSON.stringify({ type: 'offer', sdp: pc.localDescription.sdp }),
  })).json();
  await pc.setRemoteDescription(answer);
  await connected;
  const offerToConnectedMs = performance.now() - started;
  let framesDecoded = 0, localCandidateType = '', relayProtocol = '';
  for (let i = 0; i < 100 && framesDecoded === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const stats = await pc.getStats();
    for (const s of stats.values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded || 0;
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        const local = stats.get(s.localCandidateId);
        localCandidateType = local ? local.candidateType : '';
        relayProtocol = local ? local.relayProtocol : '';
      }
    }
  }
  pc.close();
  for (const track of media.getTracks()) track.stop();
  return { offerToConnectedMs, framesDecoded, localCandidateType, relayProtocol };
}`;

describe('Chromium through TURN', () => {
  it('gets its echo with iceTransportPolicy relay over TURN/TCP', async () => {
    if (!browser) throw new Error('no browser');
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(m.text()));
    try {
      await page.goto(`${stack.edgeUrl}/healthz`);
      const token = await stack.token({ device: 'chromium-turn' });
      const result = (await page.evaluate(
        `(${RELAY_ECHO})(${JSON.stringify({ base: stack.edgeUrl, token })})`,
      )) as PageResult;
      await recordSetupTime({
        test: 'turn-tcp',
        client: 'chromium',
        offerToConnectedMs: result.offerToConnectedMs,
        offerToServerConnectedMs: result.offerToConnectedMs,
      });
      expect(result).toMatchObject({ localCandidateType: 'relay', relayProtocol: 'tcp' });
      expect(result.framesDecoded).toBeGreaterThan(0);
    } catch (error) {
      console.error(log.join('\n'), await coturn.log(), await stack.logTail());
      throw error;
    } finally {
      await page.close();
    }
  }, 60_000);
});
