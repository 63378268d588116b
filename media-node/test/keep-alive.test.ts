/**
 * The node keeps idle keep-alive connections open longer than Node's default 5 s, so the edge's
 * pooled connections are closed by the edge, never under a request it is sending.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './helpers/test-node.ts';

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t.close();
});

/** Sends one keep-alive GET on `socket` and resolves with the status line. */
function get(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      socket.off('data', onData);
      resolve(chunk.toString('latin1').split('\r\n')[0] ?? '');
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: node\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('idle keep-alive connections', () => {
  it('stay open past Node default 5 s, so a reused connection still answers', async () => {
    const { port } = new URL(t.node.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let closedAt: number | undefined;
    socket.once('end', () => {
      closedAt = Date.now();
    });
    expect(await get(socket, '/healthz')).toBe('HTTP/1.1 200 OK');
    await new Promise((r) => setTimeout(r, 6_000));
    expect(closedAt).toBeUndefined();
    expect(await get(socket, '/healthz')).toBe('HTTP/1.1 200 OK');
    socket.destroy();
  }, 15_000);
});
