/**
 * Attack traffic against the media plane, on the real stack (issue 12): what an unrelated host
 * can do to an established call by sending UDP to a node's media port.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaApiError } from '../client/errors.ts';
import { createLoopbackPeer, waitForConnected, waitForGathering } from './support/loopback-peer.ts';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift } from './support/werift-participant.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

/** A well-formed STUN binding request for `ufrag` signed with a password that is not the node's. */
function forgedBinding(nodeUfrag: string): Buffer {
  const username = Buffer.from(`${nodeUfrag}:evil`);
  const pad = (4 - (username.length % 4)) % 4;
  const attrs = Buffer.alloc(4 + username.length + pad + 4 + 4 + 24);
  let o = 0;
  attrs.writeUInt16BE(0x0006, o);
  attrs.writeUInt16BE(username.length, o + 2);
  username.copy(attrs, o + 4);
  o += 4 + username.length + pad;
  attrs.writeUInt16BE(0x0025, o); // USE-CANDIDATE: would move the selected pair to us
  attrs.writeUInt16BE(0, o + 2);
  o += 4;
  attrs.writeUInt32BE(0x0024_0004, o); // PRIORITY
  attrs.writeUInt32BE(0x7e_ff_ff_ff, o + 4);
  o += 8;
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(attrs.length, 2);
  header.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(header, 8);
  const covered = Buffer.concat([header, attrs.subarray(0, o)]);
  const mac = createHmac('sha1', 'not-the-ice-password-at-all').update(covered).digest();
  attrs.writeUInt16BE(0x0008, o);
  attrs.writeUInt16BE(20, o + 2);
  mac.copy(attrs, o + 4);
  return Buffer.concat([header, attrs]);
}

/** Random bytes whose first byte lies in [lo, hi] (RFC 7983 ranges). */
function junk(lo: number, hi: number): Buffer {
  const b = randomBytes(40 + Math.floor(Math.random() * 160));
  b[0] = lo + Math.floor(Math.random() * (hi - lo + 1));
  return b;
}

/** A plaintext DTLS 1.2 record (epoch 0): an alert (close_notify) or handshake junk. */
function dtlsRecord(type: 21 | 22): Buffer {
  const body = type === 21 ? Buffer.from([1, 0]) : randomBytes(100);
  const header = Buffer.alloc(13);
  header[0] = type;
  header.writeUInt16BE(0xfefd, 1);
  header.writeUIntBE(Math.floor(Math.random() * 1e9), 5, 6);
  header.writeUInt16BE(body.length, 11);
  return Buffer.concat([header, body]);
}

async function dropped(url: string): Promise<Record<string, number>> {
  const families = parseMetrics(await (await fetch(`${url}/metrics`)).text());
  const out: Record<string, number> = {};
  for (const reason of ['unknown_source', 'bad_stun', 'malformed_stun']) {
    out[reason] = sampleValue(families, 'media_udp_dropped_total', { reason });
  }
  return out;
}

describe('UDP from unrelated addresses', () => {
  it('cannot end or hijack an established echo call; the node counts what it drops', async () => {
    const api = await stack.api('test-hostile-udp');
    const client = await joinWerift({
      api,
      room: 'hostile-udp',
      name: 'victim',
      echo: true,
      test: 'hostile',
    });
    const sockets: Socket[] = [];
    try {
      const self = client.sessionId();
      await client.until('own video back', () => client.framesFrom(self) >= 10);
      const answer = client.pc()?.remoteDescription?.sdp ?? '';
      const candidate = /^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/m.exec(answer);
      const ufrag = /^a=ice-ufrag:(\S+)/m.exec(answer)?.[1];
      expect(candidate, answer).not.toBeNull();
      const [, host, port] = candidate as RegExpExecArray;
      const node = stack.nodes.find((n) => n.id === client.nodeId());
      if (!node || !ufrag || !host) throw new Error('no node, ufrag or host in the answer');
      const before = await dropped(node.url);

      for (let i = 0; i < 3; i++) {
        const s = createSocket('udp4');
        await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
        sockets.push(s);
      }
      const send = (s: Socket, b: Buffer) =>
        new Promise<void>((resolve) => s.send(b, Number(port), host, () => resolve()));
      // Five rounds over two seconds: DTLS-range junk, alerts and handshake records,
      // RTP/RTCP-looking datagrams,
      // binding requests with USE-CANDIDATE signed with a wrong password.
      for (let round = 0; round < 5; round++) {
        for (const s of sockets) {
          for (let i = 0; i < 10; i++) {
            await send(s, i % 2 ? junk(20, 63) : dtlsRecord(i % 4 === 0 ? 21 : 22));
          }
          for (let i = 0; i < 10; i++) await send(s, junk(128, 191));
          for (let i = 0; i < 4; i++) await send(s, forgedBinding(ufrag));
        }
        await new Promise((r) => setTimeout(r, 400));
      }

      // Media keeps flowing after the flood, and both ends still say connected.
      const framesAfterFlood = client.framesFrom(self);
      await client.until(
        'video still echoed after the flood',
        () => client.framesFrom(self) >= framesAfterFlood + 30,
        10_000,
      );
      expect((await api.getSession(self)).state).toBe('connected');
      expect(client.pc()?.connectionState).toBe('connected');
      const states = client.events.filter((e) => e.type === 'state').map((e) => e.state);
      expect(states.at(-1)).toBe('connected');
      expect(states).not.toContain('failed');

      const after = await dropped(node.url);
      // 3 sockets x 5 rounds: 20 DTLS/RTP-range datagrams and 4 forged checks each.
      expect((after.unknown_source ?? 0) - (before.unknown_source ?? 0)).toBe(3 * 5 * 20);
      expect((after.bad_stun ?? 0) - (before.bad_stun ?? 0)).toBe(3 * 5 * 4);
    } catch (error) {
      console.error(await stack.logTail());
      throw error;
    } finally {
      for (const s of sockets) s.close();
      await client.leave();
    }
  });
});

describe('hostile SDP through the edge', () => {
  it('refuses too many m-lines and bad fingerprints with 400 in our words; the session still connects after', async () => {
    const api = await stack.api('test-hostile-sdp');
    const { sessionId } = await api.createSession({ room: 'hostile-sdp', echo: true });
    const refused = async (sdp: string) => {
      const error = await api.sendOffer(sessionId, sdp).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MediaApiError);
      return error as MediaApiError;
    };
    const big = createLoopbackPeer({ rtx: false, extensions: false });
    const pc = createLoopbackPeer();
    try {
      // 66 m-lines: inside every size limit (werift offers the node's whole codec table in each
      // section, ~850 bytes a section without RTX and extensions), past the m-line bound.
      for (let i = 0; i < 33; i++) {
        big.addTransceiver('audio', { direction: 'sendrecv' });
        big.addTransceiver('video', { direction: 'sendrecv' });
      }
      await big.setLocalDescription(await big.createOffer());
      expect(big.localDescription?.sdp.length).toBeLessThan(65_536);
      const tooMany = await refused(big.localDescription?.sdp ?? '');
      expect(tooMany.status).toBe(400);
      expect(tooMany.code).toBe('invalid_request');
      expect(tooMany.details).toMatchObject({ limit: 64 });

      pc.addTransceiver('audio', { direction: 'sendrecv' });
      pc.addTransceiver('video', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc);
      const good = pc.localDescription?.sdp ?? '';
      const badPrint = await refused(
        good.replace(/^a=fingerprint:sha-256 (\S+)$/gm, 'a=fingerprint:sha-256 $1:00'),
      );
      expect(badPrint.status).toBe(400);
      expect(badPrint.message).toMatch(/DTLS fingerprint/);
      const noPayloads = await refused(good.replace(/^(m=audio \d+ \S+) .*$/m, '$1'));
      expect(noPayloads.status).toBe(400);
      expect(noPayloads.message).not.toMatch(/m line not found/);

      const answer = await api.sendOffer(sessionId, good);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      await waitForConnected(pc);
      for (let i = 0; i < 50; i++) {
        if ((await api.getSession(sessionId)).state === 'connected') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await api.getSession(sessionId)).state).toBe('connected');
    } catch (error) {
      console.error(await stack.logTail());
      throw error;
    } finally {
      await big.close();
      await pc.close();
      await api.deleteSession(sessionId).catch(() => {});
    }
  });
});
