/**
 * A stand-in for the edge's node-facing API on 127.0.0.1 (random port): verifies request
 * signatures exactly like the real edge (HMAC + replay guard), validates bodies with the shared
 * schemas, and records heartbeats and session events for assertions.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeEvent } from '../../shared/events.ts';
import { type Heartbeat, heartbeatSchema, nodeEventBatchSchema } from '../../shared/internal.ts';
import { deriveNodeKey, fromNode, ReplayGuard, verifyRequest } from '../../shared/signing.ts';

export interface FakeEdge {
  readonly url: string;
  readonly heartbeats: Heartbeat[];
  readonly events: NodeEvent[];
  /** Requests refused: bad signature or replay (401), invalid body (400). */
  readonly refused: { unauthorized: number; invalid: number };
  /** Status the next requests get (e.g. 503 to simulate an outage); `undefined` = normal. */
  forceStatus: number | undefined;
  /** Calls `listener` for every event accepted from now on; returns the unsubscribe function. */
  onEvent(listener: (event: NodeEvent) => void): () => void;
  /** The events of one session, in arrival order. */
  eventsFor(sessionId: string): NodeEvent[];
  /** Resolves with the first recorded event matching `pred` (past or future). */
  waitForEvent(
    pred: (e: NodeEvent) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<NodeEvent>;
  /** Resolves with the first recorded heartbeat matching `pred` (past or future). */
  waitForHeartbeat(pred: (h: Heartbeat) => boolean, timeoutMs?: number): Promise<Heartbeat>;
  close(): Promise<void>;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeEdge(
  secret: string,
  heartbeatIntervalMs = 5_000,
): Promise<FakeEdge> {
  const guard = new ReplayGuard();
  const listeners = new Set<(e: NodeEvent) => void>();
  const heartbeatWaiters = new Set<() => void>();
  const edge = {
    url: '',
    heartbeats: [] as Heartbeat[],
    events: [] as NodeEvent[],
    refused: { unauthorized: 0, invalid: 0 },
    forceStatus: undefined as number | undefined,
  };
  const server = createServer(async (req, res) => {
    const body = await readText(req);
    const reply = (status: number, json?: unknown) => {
      res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    // Like the edge: the key of the node id the body claims (`secret` is the master).
    let nodeId = '';
    try {
      nodeId = String((JSON.parse(body) as { nodeId?: unknown }).nodeId ?? '');
    } catch {
      // no JSON: no node id, the signature check below fails
    }
    const verdict = await verifyRequest(
      await deriveNodeKey(secret, nodeId),
      { method: req.method ?? '', path: req.url ?? '', body, party: fromNode(nodeId) },
      req.headers,
      { replayGuard: guard },
    );
    if (!verdict.ok) {
      edge.refused.unauthorized++;
      return reply(401, { error: { code: 'unauthorized', message: verdict.reason } });
    }
    if (edge.forceStatus !== undefined)
      return reply(edge.forceStatus, { error: { code: 'internal_error', message: 'forced' } });
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    if (req.method === 'POST' && req.url === '/internal/v1/nodes/heartbeat') {
      const hb = heartbeatSchema.safeParse(json);
      if (!hb.success) {
        edge.refused.invalid++;
        return reply(400, { error: { code: 'invalid_request', message: hb.error.message } });
      }
      edge.heartbeats.push(hb.data);
      for (const wake of [...heartbeatWaiters]) wake();
      return reply(200, { heartbeatIntervalMs });
    }
    if (req.method === 'POST' && req.url === '/internal/v1/events') {
      const batch = nodeEventBatchSchema.safeParse(json);
      if (!batch.success) {
        edge.refused.invalid++;
        return reply(400, { error: { code: 'invalid_request', message: batch.error.message } });
      }
      for (const event of batch.data.events) {
        edge.events.push(event);
        for (const listener of [...listeners]) listener(event);
      }
      return reply(204);
    }
    reply(404, { error: { code: 'not_found', message: 'no such route' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  edge.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const waitForEvent: FakeEdge['waitForEvent'] = (pred, timeoutMs = 10_000, what = 'event') => {
    const found = edge.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`fake edge: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (e: NodeEvent) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(e);
      };
      listeners.add(listener);
    });
  };
  const waitForHeartbeat: FakeEdge['waitForHeartbeat'] = (pred, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hb = edge.heartbeats.find(pred);
        if (!hb) return false;
        clearTimeout(timer);
        heartbeatWaiters.delete(wake);
        resolve(hb);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        heartbeatWaiters.delete(wake);
        reject(new Error(`fake edge: no matching heartbeat within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) heartbeatWaiters.add(wake);
    });

  return Object.assign(edge, {
    onEvent(listener: (e: NodeEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    eventsFor: (sessionId: string) => edge.events.filter((e) => e.sessionId === sessionId),
    waitForEvent,
    waitForHeartbeat,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
