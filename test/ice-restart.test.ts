import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { moveToAddress } from './support/network-move.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

let stack: TestStack;
const joined: WeriftParticipant[] = [];

beforeAll(async () => {
  stack = await startTestStack({ nodes: 1 });
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail(80));
});
afterAll(async () => {
  await Promise.allSettled(joined.map((p) => p.leave()));
  await stack?.teardown();
});

describe('experiment', () => {
  it('restarts', async () => {
    const a = await joinWerift({
      api: await stack.api('alice'),
      room: 'r',
      name: 'alice',
      test: 'x',
    });
    joined.push(a);
    const b = await joinWerift({ api: await stack.api('bob'), room: 'r', name: 'bob', test: 'x' });
    joined.push(b);
    await b.until('frames', () => b.framesFrom(a.sessionId()) >= 5);
    await a.until('frames', () => a.framesFrom(b.sessionId()) >= 5);
    const pc = a.pc();
    if (!pc) throw new Error('no pc');
    await moveToAddress(pc, '127.0.0.2');
    const t0 = performance.now();
    const { wrapWeriftPeer } = await import('../client/werift-peer.ts');
    const adapter = wrapWeriftPeer(pc);
    const offer = await adapter.createOffer({ iceRestart: true });
    await pc.setLocalDescription(offer);
    const api = await stack.api('alice');
    const answer = await api.sendOffer(a.sessionId(), pc.localDescription?.sdp ?? '');
    console.log('old answer ufrag', /a=ice-ufrag:(\S+)/.exec(pc.remoteDescription?.sdp ?? '')?.[1]);
    pc.iceConnectionStateChange.subscribe((s) =>
      console.log('client ice', s, performance.now() - t0),
    );
    pc.connectionStateChange.subscribe((s) => console.log('client pc', s, performance.now() - t0));
    pc.onIceCandidate.subscribe((c) => console.log('client cand', c?.candidate));
    console.log(
      'new answer',
      answer.sdp
        .split('\n')
        .filter((l) => /ice|candidate|setup/.test(l))
        .join(' | '),
    );
    console.log(
      'offer',
      (pc.localDescription?.sdp ?? '')
        .split('\n')
        .filter((l) => /ice|candidate|setup/.test(l))
        .join(' | '),
    );
    await adapter.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    console.log(
      'states',
      pc.dtlsTransports.map((d) => [
        d.state,
        d.iceTransport.state,
        (d.iceTransport.connection as any).state,
        (d.iceTransport.connection as any).remoteUsername,
        (d.iceTransport.connection as any).localCandidatesEnd,
        (d.iceTransport.connection as any).protocols.length,
      ]),
    );
    const before = b.framesFrom(a.sessionId());
    const beforeA = a.framesFrom(b.sessionId());
    await b.until('frames after', () => b.framesFrom(a.sessionId()) >= before + 5);
    await a.until('frames after at a', () => a.framesFrom(b.sessionId()) >= beforeA + 5);
    console.log('recovered in', performance.now() - t0, pc.connectionState);
    expect(true).toBe(true);
  });
});
