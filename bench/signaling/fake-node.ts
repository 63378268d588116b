/**
 * A stand-in media node for the signaling benchmark: registers with the edge by signed
 * heartbeats (as a real node does) and answers the edge's offer, candidate, answer and close
 * calls at once, so the edge's own cost is what gets measured (no werift, no ICE).
 *
 * It does not verify the edge's signatures: that is the media node's cost, not the edge's, and it
 * would take CPU from the 2 cores under test. Its CPU is measured and reported with the rest.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { createEdgeClient } from '../../media-node/src/edge/edge-client.ts';
import { type Heartbeat, INTERNAL_BASE } from '../../shared/internal.ts';
import { deriveNodeKey } from '../../shared/signing.ts';

/** A minimal answer that passes the edge's answer schema. */
export const FAKE_ANSWER_SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

export interface FakeNode {
  url: string;
  /** Requests answered, by `METHOD /action`. */
  counts: Map<string, number>;
  /** TCP connections the edge opened to it (few: workerd keeps them alive). */
  connections(): number;
  close(): Promise<void>;
}

/** Maps an internal-API path to its action, e.g. `POST /offer`; pure (unit-tested). */
export function actionOf(method: string, path: string): string {
  const m = /^\/internal\/v1\/(sessions|rooms)\/[^/?]+(\/[a-z]+)?/.exec(path);
  if (!m) return `${method} ?`;
  return `${method} ${m[1] === 'rooms' ? '/room' : (m[2] ?? '/')}`;
}

function reply(action: string): { status: number; body?: unknown } {
  switch (action) {
    case 'POST /offer':
      return { status: 200, body: { type: 'answer', sdp: FAKE_ANSWER_SDP } };
    case 'POST /candidates':
    case 'POST /answer':
    case 'DELETE /':
      return { status: 204 };
    default:
      return { status: 404, body: { error: { code: 'not_found', message: action } } };
  }
}

export async function startFakeNode(options: {
  edgeUrl: string;
  secret: string;
  nodeId: string;
  heartbeatIntervalMs?: number;
  /**
   * How long an idle keep-alive connection from the edge stays open. Long by default, so that no
   * figure depends on when the edge's pooled connections happen to be closed between steps.
   */
  keepAliveTimeoutMs?: number;
}): Promise<FakeNode> {
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    // Drain the body without keeping it: only the action matters here.
    req.resume();
    req.on('end', () => {
      const action = actionOf(req.method ?? 'GET', req.url ?? '/');
      counts.set(action, (counts.get(action) ?? 0) + 1);
      const r = reply(action);
      if (r.body === undefined) {
        res.writeHead(r.status).end();
      } else {
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
      }
    });
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 600_000;
  server.on('connection', (s) => {
    connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake node: no port');
  const url = `http://127.0.0.1:${address.port}`;

  // `secret` is the edge's master secret: the node signs with its own derived key.
  const client = createEdgeClient(
    options.edgeUrl,
    await deriveNodeKey(options.secret, options.nodeId),
    options.nodeId,
  );
  const startedAt = Date.now();
  const beat = async () => {
    const body: Heartbeat = {
      nodeId: options.nodeId,
      url,
      region: 'local',
      state: 'ready',
      startedAt,
      // Capacity far above what the benchmark creates: placement must never refuse.
      load: { sessions: 0, rooms: 0, maxSessions: 10_000_000, eventLoopLagMs: 0 },
    };
    const res = await client.post(`${INTERNAL_BASE}/nodes/heartbeat`, body);
    if (res.status !== 200) throw new Error(`heartbeat: ${res.status} ${res.body.slice(0, 200)}`);
  };
  await beat();
  const timer = setInterval(() => {
    beat().catch((error: unknown) => console.error(`fake node heartbeat failed: ${String(error)}`));
  }, options.heartbeatIntervalMs ?? 5_000);

  return {
    url,
    counts,
    connections: () => connections,
    close: async () => {
      clearInterval(timer);
      await client.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
