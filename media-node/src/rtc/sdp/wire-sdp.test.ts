import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { loopbackClientPeerConfig, nodePeerConfig } from '../peer-config.ts';
import { prepareRemoteOffer } from './remote-offer.ts';
import { attributes, bundleGroup, mid, mLine, parseSdpText } from './sdp-text.ts';
import { toWireSdp } from './wire-sdp.ts';

const open: RTCPeerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((pc) => pc.close()));
});

function nodePc(): RTCPeerConnection {
  const pc = new RTCPeerConnection(
    nodePeerConfig({ lite: true, address: '127.0.0.1', servers: [] }),
  );
  open.push(pc);
  return pc;
}

/** The node's answer to `offer` as the node sends it. */
async function answer(node: RTCPeerConnection, offer: string): Promise<string> {
  await node.setRemoteDescription({ type: 'offer', sdp: prepareRemoteOffer(offer).sdp });
  await node.setLocalDescription(await node.createAnswer());
  return toWireSdp(node.localDescription?.sdp ?? '', 'answer');
}

/** Per section: `mid port setup`. */
function shape(sdp: string): string[] {
  return parseSdpText(sdp).media.map(
    (m) => `${mid(m)} ${mLine(m).port} ${attributes(m.lines, 'setup')[0]}`,
  );
}

describe('toWireSdp', () => {
  it('writes a=ice-lite once, at session level, in the answer to webrtcbin', async () => {
    const offer = readFileSync(
      new URL('./fixtures/webrtcbin-max-bundle-offer.sdp', import.meta.url),
      'utf8',
    );
    const sdp = await answer(nodePc(), offer);
    const text = parseSdpText(sdp);
    expect(text.session).toContain('a=ice-lite');
    expect(text.media.every((m) => !m.lines.includes('a=ice-lite'))).toBe(true);
    expect(sdp.match(/a=ice-lite/g)).toHaveLength(1);
    expect(text.session.indexOf('a=ice-lite')).toBe(
      text.session.findIndex((l) => l.startsWith('t=')) + 1,
    );
    // The bundle-only audio is answered live and bundled (it was inactive and unbundled).
    expect(shape(sdp)).toEqual(['video0 9 active', 'audio1 9 active']);
    expect(bundleGroup(text)).toEqual(['video0', 'audio1']);
    expect(attributes(text.media[1]?.lines ?? [], 'recvonly')).toEqual(['']);
  });

  it('re-offers with a=setup:actpass, the same mids and one BUNDLE group over them', async () => {
    const node = nodePc();
    const client = new RTCPeerConnection(loopbackClientPeerConfig());
    open.push(client);
    client.addTransceiver('audio', { direction: 'sendrecv' });
    client.addTransceiver('video', { direction: 'sendrecv' });
    client.createDataChannel('chat');
    await client.setLocalDescription(await client.createOffer());
    const first = await answer(node, client.localDescription?.sdp ?? '');
    await client.setRemoteDescription({ type: 'answer', sdp: first });
    const before = shape(first).map((s) => s.split(' ')[0]);

    // A second participant's tracks arrive: the node offers two more sections, twice.
    for (const kind of ['video', 'audio'] as const) {
      node.addTransceiver(kind, { direction: 'sendonly' });
      await node.setLocalDescription(await node.createOffer());
      const reoffer = toWireSdp(node.localDescription?.sdp ?? '', 'offer');
      const text = parseSdpText(reoffer);
      const mids = text.media.map((m) => mid(m));
      expect(mids.slice(0, before.length)).toEqual(before);
      expect(new Set(mids).size).toBe(mids.length);
      expect(text.media.map((m) => attributes(m.lines, 'setup'))).toEqual(
        text.media.map(() => ['actpass']),
      );
      expect(bundleGroup(text)).toEqual(mids);
      expect(attributes(text.session, 'group')).toHaveLength(1);
      expect(reoffer.match(/a=ice-lite/g)).toHaveLength(1);
      await client.setRemoteDescription({ type: 'offer', sdp: reoffer });
      await client.setLocalDescription(await client.createAnswer());
      await node.setRemoteDescription({ type: 'answer', sdp: client.localDescription?.sdp ?? '' });
    }
  });

  it('leaves a client answer setup attribute alone (only offers are rewritten)', () => {
    const sdp = 'v=0\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n';
    expect(toWireSdp(sdp, 'answer')).toBe(sdp);
    expect(toWireSdp(sdp, 'offer')).toContain('a=setup:actpass');
  });
});
