/**
 * Reads a Node process's memory through its inspector (started with `--inspect=127.0.0.1:<port>`,
 * loopback only): a full GC first (HeapProfiler.collectGarbage), then `process.memoryUsage()` and
 * the active handles, evaluated inside the process. No change to the media node is needed.
 */
import { cdpTargets, connectCdp } from '../lib/cdp.ts';

export interface MemorySnapshot {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** Active libuv handles and requests by type (`UDPWRAP`, `TCPSocketWrap`, `Timeout`, ...). */
  handles: Record<string, number>;
  handleCount: number;
}

/** Counts equal strings; pure (unit-tested). */
export function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[item] = (out[item] ?? 0) + 1;
  return out;
}

const EXPRESSION =
  'JSON.stringify({ m: process.memoryUsage(), h: process.getActiveResourcesInfo() })';

export async function inspectMemory(inspectPort: number): Promise<MemorySnapshot> {
  const target = (await cdpTargets(inspectPort))[0]?.webSocketDebuggerUrl;
  if (!target) throw new Error('inspector: no target');
  const cdp = await connectCdp(target);
  try {
    // Twice: objects freed by the first pass's finalizers go in the second.
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const reply = (await cdp.send('Runtime.evaluate', {
      expression: EXPRESSION,
      returnByValue: true,
    })) as { result: { value: string } };
    const { m, h } = JSON.parse(reply.result.value) as { m: NodeJS.MemoryUsage; h: string[] };
    return {
      rssBytes: m.rss,
      heapUsedBytes: m.heapUsed,
      heapTotalBytes: m.heapTotal,
      externalBytes: m.external,
      arrayBuffersBytes: m.arrayBuffers,
      handles: countBy(h),
      handleCount: h.length,
    };
  } finally {
    cdp.close();
  }
}
