import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fromNode, TIMESTAMP_HEADER, verifyRequest } from '../../../shared/signing.ts';
import { createEdgeClient } from './edge-client.ts';

describe('edge client', () => {
  const seen: Array<{ ts: number; ok: boolean }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = await verifyRequest(
        'node-key-0123456789',
        { method: 'POST', path: req.url ?? '', body, party: fromNode('n1') },
        req.headers,
      );
      seen.push({ ts: Number(req.headers[TIMESTAMP_HEADER]), ok: verdict.ok });
      res.writeHead(204).end();
    });
  });
  beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('signs as its node with strictly increasing timestamps, even within one millisecond', async () => {
    const { port } = server.address() as AddressInfo;
    const client = createEdgeClient(`http://127.0.0.1:${port}`, 'node-key-0123456789', 'n1');
    // A clock that does not move between posts (a fast machine, a coarse clock).
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    try {
      for (let i = 0; i < 20; i++) await client.post('/internal/v1/nodes/heartbeat', { i });
    } finally {
      now.mockRestore();
      await client.close();
    }
    expect(seen).toHaveLength(20);
    expect(seen.every((s) => s.ok)).toBe(true);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]?.ts).toBeGreaterThan(seen[i - 1]?.ts ?? 0);
    }
  });
});
