/**
 * The native batched send from several worker threads at once (WORKERS>1): each thread's batch
 * goes out as it was built. Regression: the addon's scratch area was one per process, so two
 * workers sending at the same moment sent each other's datagrams (found by the forwarding
 * benchmark with 2 workers: 2-6 % of packets missing or duplicated, SRTP authentication
 * failures at the receivers).
 */
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeSrtpAddon } from '../src/fast/srtp.ts';

const hasBatch = typeof nativeSrtpAddon()?.sendBatch === 'function';
const THREADS = 2;
const BATCHES = 1_500;

describe.skipIf(!hasBatch)('native sendBatch on worker threads', () => {
  const sockets: dgram.Socket[] = [];
  afterAll(() => {
    for (const s of sockets) s.close();
  });

  it('delivers only the sending thread’s own datagrams to its own peer', async () => {
    const received = Array.from({ length: THREADS }, () => ({ own: 0, foreign: 0 }));
    const ports: number[] = [];
    for (let t = 0; t < THREADS; t++) {
      const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      s.on('message', (m) => {
        const tally = received[t] as { own: number; foreign: number };
        if (m.every((byte) => byte === t + 1)) tally.own++;
        else tally.foreign++;
      });
      sockets.push(s);
      ports.push(s.address().port);
    }
    const results = await Promise.all(
      ports.map(
        (port, t) =>
          new Promise<{ failed: number }>((resolve, reject) => {
            const worker = new Worker(new URL('./fixtures/send-batch-thread.ts', import.meta.url), {
              workerData: { port, marker: t + 1, batches: BATCHES },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const [t, r] of received.entries()) {
      expect(r.foreign, `thread ${t} peer got another thread's datagrams`).toBe(0);
      // Loopback may drop under this burst; most must arrive for the check to mean anything.
      expect(r.own).toBeGreaterThan(BATCHES * 4);
    }
    expect(results.map((r) => r.failed)).toEqual([0, 0]);
  });
});
