/**
 * A minimal Chrome DevTools Protocol client over the inspector WebSocket of a Node or workerd
 * process (loopback only): enough to force GC, evaluate an expression or take a CPU profile.
 */

export interface Cdp {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** The inspector targets at `http://127.0.0.1:<port>/json/list`. */
export async function cdpTargets(
  port: number,
): Promise<Array<{ id: string; title: string; webSocketDebuggerUrl: string }>> {
  const res = await fetch(`http://127.0.0.1:${port}/json/list`);
  return (await res.json()) as Array<{ id: string; title: string; webSocketDebuggerUrl: string }>;
}

export async function connectCdp(url: string, timeoutMs = 60_000): Promise<Cdp> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`inspector: cannot connect to ${url}`));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(`inspector: ${msg.error.message}`));
    else p?.resolve(msg.result);
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(
          () => reject(new Error(`inspector: ${method} timed out`)),
          timeoutMs,
        );
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self-time shares of the heaviest functions of a V8 CPU profile; pure (unit-tested). */
export function topFunctions(
  profile: { nodes: ProfileNode[]; samples: number[] },
  n: number,
): Array<{ function: string; 'self %': number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url.split('/').at(-1) ?? '';
    const key = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, count]) => ({ function: fn, 'self %': Math.round((count / total) * 1000) / 10 }));
}
