/**
 * A webhook receiver for the Workers-runtime tests (Node, 127.0.0.1): verifies every delivery
 * with the `standardwebhooks` library (an implementation independent of the edge's), records
 * it, and answers with the statuses a test scripted for its path and room (200 otherwise).
 * Tests talk to it over HTTP: `POST /control/script`, `GET /control/log`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedAttempt {
  path: string;
  id: string;
  type: string;
  /** `data.room`, else `data.nodeId`: what tests filter by. */
  key: string;
  status: number;
  verified: boolean;
  timestamp: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface ReceiverScript {
  path: string;
  key: string;
  statuses: number[];
}

export async function startWebhookReceiver(
  secret: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const wh = new Webhook(secret);
  const log: ReceivedAttempt[] = [];
  const scripts = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === '/control/script') {
        const s = JSON.parse(text) as ReceiverScript;
        scripts.set(`${s.path}|${s.key}`, [...s.statuses]);
        res.writeHead(204).end();
        return;
      }
      if (path === '/control/log') {
        const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(log.filter((a) => a.key === key)));
        return;
      }
      let verified = true;
      try {
        wh.verify(text, {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
      } catch {
        verified = false;
      }
      const body = JSON.parse(text) as ReceivedAttempt['body'];
      const key = String(body.data.room ?? body.data.nodeId ?? '');
      const script = scripts.get(`${path}|${key}`);
      const status = verified ? (script?.shift() ?? 200) : 401;
      log.push({
        path,
        id: String(req.headers['webhook-id']),
        type: body.type,
        key,
        status,
        verified,
        timestamp: String(req.headers['webhook-timestamp']),
        body,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
