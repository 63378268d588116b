/**
 * Signed JSON requests from the node to the edge over one keep-alive undici pool.
 */
import { Pool } from 'undici';
import { signRequest } from '../../../shared/signing.ts';

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

/** A client for the edge at `baseUrl` (origin plus optional path prefix). */
export function createEdgeClient(baseUrl: string, secret: string): EdgeClient {
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
  return {
    async post(path, body) {
      if (closed) throw new Error('edge client closed');
      const text = JSON.stringify(body);
      const fullPath = prefix + path;
      const headers = await signRequest(secret, { method: 'POST', path: fullPath, body: text });
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
