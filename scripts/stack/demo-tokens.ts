/**
 * The local stack's demo token service: lets the demo page get a token for a name of its own,
 * so every tab opened from the link `npm start` prints joins as its own device (its own
 * caption on the others' screens) instead of all sharing one.
 *
 * Local development only, and narrow on purpose: it listens on 127.0.0.1 (a free port), answers
 * only a caller presenting the random key printed in the demo link (CORS: only the edge's page),
 * and signs short-lived, non-admin tokens for one device each. A deployment has no such service:
 * its users get tokens from the operator's own auth service.
 *
 *   POST /token  authorization: Bearer <key>  {"device":"<name>"}  ->  200 {"token":"..."}
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NAME_PATTERN } from '../../shared/limits.ts';

/** Lifetime of a demo token, in seconds: a working session, not longer. */
export const DEMO_TOKEN_TTL_S = 12 * 3600;
const MAX_BODY_BYTES = 1024;

export interface DemoTokenService {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** The capability the page presents; only ever in the printed link. */
  key: string;
  close(): Promise<void>;
}

export interface DemoTokenOptions {
  host: string;
  /** The page's origin (the edge URL): the only origin the browser may call from. */
  allowOrigin: string;
  /** Signs a non-admin token for `device`. */
  sign(device: string, ttlSeconds: number): Promise<string>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function keyMatches(header: string | undefined, key: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startDemoTokenService(options: DemoTokenOptions): Promise<DemoTokenService> {
  const key = randomBytes(16).toString('hex');
  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', options.allowOrigin);
    res.setHeader('vary', 'origin');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (req.url !== '/token') return fail(res, 404, 'not_found', 'only POST /token is served');
    if (req.method !== 'POST') return fail(res, 405, 'invalid_request', 'use POST');
    if (!keyMatches(req.headers.authorization, key)) {
      return fail(res, 401, 'unauthorized', 'the key from the demo link is required');
    }
    void (async () => {
      const text = await readBody(req);
      if (text === undefined) {
        return fail(res, 413, 'payload_too_large', `at most ${MAX_BODY_BYTES} bytes`);
      }
      let device: unknown;
      try {
        device = (JSON.parse(text) as { device?: unknown }).device;
      } catch {
        return fail(res, 400, 'invalid_request', 'the body must be JSON {"device":"<name>"}');
      }
      if (typeof device !== 'string' || !NAME_PATTERN.test(device)) {
        return fail(res, 400, 'invalid_request', 'device: 1-64 characters of A-Z a-z 0-9 _ . : -');
      }
      send(res, 200, { token: await options.sign(device, DEMO_TOKEN_TTL_S) });
    })().catch(() => fail(res, 500, 'internal_error', 'could not sign a token'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    key,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
