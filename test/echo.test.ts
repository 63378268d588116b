/** Issue 4, test 1: a werift client through the edge in echo mode receives its own media back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift } from './support/werift-participant.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

describe('echo through the edge', () => {
  it('sends a werift client its own audio and video back', async () => {
    const api = await stack.api('echo-device');
    const client = await joinWerift({
      api,
      room: 'echo-room',
      name: 'echo',
      echo: true,
      test: 'echo',
    });
    try {
      const self = client.sessionId();
      await client.until('state connected', () =>
        client.events.some((e) => e.type === 'state' && e.state === 'connected'),
      );
      await client.until(
        'own video frames back',
        () => (client.received.get(self)?.videoFrames ?? 0) >= 10,
      );
      await client.until(
        'own audio back',
        () => (client.received.get(self)?.audioPackets ?? 0) >= 10,
      );
      const view = await api.getSession(self);
      expect(view.state).toBe('connected');
      expect(view.echo).toBe(true);
      expect(client.participant.session?.timings.offerToConnectedMs).toBeLessThan(5_000);
    } catch (error) {
      console.error(JSON.stringify([...client.received]), await stack.logTail());
      throw error;
    } finally {
      await client.leave();
    }
    const after = await api.getSession(client.sessionId()).catch((e: unknown) => e);
    expect(after).toMatchObject({ state: 'closed' });
  });
});
