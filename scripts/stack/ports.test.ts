import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortsFree, PortsBusyError } from './ports.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

function listen(): Promise<number> {
  return new Promise((resolve) => {
    server = createServer().listen(0, '127.0.0.1', () => {
      const address = server?.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('assertPortsFree', () => {
  it('names the busy port and what it was for', async () => {
    const busy = await listen();
    const check = assertPortsFree('127.0.0.1', [{ name: 'node-x', port: busy }]);
    await expect(check).rejects.toThrow(PortsBusyError);
    await expect(check).rejects.toThrow(`port ${busy} (node-x) on 127.0.0.1 is already in use`);
  });

  it('passes free ports and leaves them free', async () => {
    const port = await listen();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    await assertPortsFree('127.0.0.1', [{ name: 'edge', port }]);
    await assertPortsFree('127.0.0.1', [{ name: 'edge', port }]);
  });
});
