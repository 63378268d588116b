/**
 * A webhook receiver for the cross-service tests, on 127.0.0.1: checks each delivery with the
 * `standardwebhooks` library (not the edge's code), records it with its arrival time, answers
 * 204. It can be stopped and started again on the same port, as a receiver's outage.
 */
import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface Arrival {
  id: string;
  type: string;
  /** The event's time (body `timestamp`), ms. */
  at: number;
  /** When it arrived here, ms. */
  arrivedAt: number;
  data: Record<string, unknown>;
}

export class WebhookReceiver {
  readonly arrivals: Arrival[] = [];
  /** Deliveries whose signature did not verify (answered 401). */
  readonly refused: string[] = [];
  readonly #wh: Webhook;
  readonly #port: number;
  #server: Server | undefined;

  constructor(secret: string, port: number) {
    this.#wh = new Webhook(secret);
    this.#port = port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hooks`;
  }

  get running(): boolean {
    return this.#server !== undefined;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const body = this.#wh.verify(text, {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          }) as { type: string; timestamp: string; data: Record<string, unknown> };
          this.arrivals.push({
            id: String(req.headers['webhook-id']),
            type: body.type,
            at: Date.parse(body.timestamp),
            arrivedAt: Date.now(),
            data: body.data,
          });
          res.writeHead(204).end();
        } catch (err) {
          this.refused.push(String(err));
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', resolve);
    });
    this.#server = server;
  }

  /** Stops listening: connections are refused until `start()`. Idempotent. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** First arrival of each id, in arrival order (receivers deduplicate by `webhook-id`). */
  unique(): Arrival[] {
    const seen = new Set<string>();
    return this.arrivals.filter((a) => !seen.has(a.id) && seen.add(a.id));
  }

  /** Types that arrived (first arrival of each id) for `room`, in order. */
  roomTypes(room: string): string[] {
    return this.unique()
      .filter((a) => a.data.room === room)
      .map((a) => a.type);
  }
}
