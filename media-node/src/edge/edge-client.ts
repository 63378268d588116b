/**
 * Signed JSON requests from the node to the edge over one keep-alive undici pool, with this
 * node's own key. Timestamps strictly increase (the edge keeps a floor per node and refuses a
 * heartbeat that is not newer than the last one it accepted).
 */
import { Pool } from 'undici';
import { fromNode, signRequest } from '../../../shared/signing.ts';

/** How long one request to the edge may take before it counts as failed, in ms. */
const REQUEST_TIMEOUT_MS = 5_000;

export interface EdgeResponse {
  status: number;
  body: string;
}

export interface EdgeClient {
  /** POSTs `body` as JSON to `path` (e.g. `/internal/v1/events`); rejects on network errors. */
  post(path: string, body: unknown): Promise<EdgeResponse>;
  close(): Promise<void>;
}

/**
 * A client for the edge at `baseUrl` (origin plus optional path prefix), signing as `nodeId`
 * with `nodeKey`.
 */
export function createEdgeClient(baseUrl: string, nodeKey: string, nodeId: string): EdgeClient {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, {
    connections: 4,
    keepAliveTimeout: 30_000,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
    connectTimeout: REQUEST_TIMEOUT_MS,
  });
  let closed = false;
  let lastTimestamp = 0;
  return {
    async post(path, body) {
      if (closed) throw new Error('edge client closed');
      const text = JSON.stringify(body);
      const fullPath = prefix + path;
      lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
      const headers = await signRequest(
        nodeKey,
        { method: 'POST', path: fullPath, body: text, party: fromNode(nodeId) },
        lastTimestamp,
      );
      const res = await pool.request({
        method: 'POST',
        path: fullPath,
        body: text,
        headers: { ...headers, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return { status: res.statusCode, body: await res.body.text() };
    },
    async close() {
      if (closed) return;
      closed = true;
      // destroy(), not close(): a hung edge must not hold up shutdown.
      await pool.destroy();
    },
  };
}
