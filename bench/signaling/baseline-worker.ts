/**
 * The signaling benchmark's baseline: the least a Worker route that calls a Durable Object can
 * cost in the same workerd process as the edge (one HTTP request, one RPC to an object that does
 * nothing else), the same with one SQLite write (what most edge routes add), and the same after
 * verifying an HS256 bearer token as the edge does (hono/jwt). Served only by
 * the benchmark's own workerd config (bench/signaling/bench-edge.ts); never part of the edge.
 */
import { DurableObject } from 'cloudflare:workers';
import { verify } from 'hono/jwt';

interface BaselineStub {
  ping(): Promise<number>;
  write(): Promise<number>;
}

interface Env {
  JWT_SECRET: string;
  BASELINE: { idFromName(name: string): unknown; get(id: unknown): BaselineStub };
}

export class BaselineObject extends DurableObject<Env> {
  #hits = 0;

  constructor(ctx: ConstructorParameters<typeof DurableObject<Env>>[0], env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, n INTEGER)');
  }

  ping(): number {
    this.#hits += 1;
    return this.#hits;
  }

  /** One row upserted: the storage cost a session route pays at least once. */
  write(): number {
    this.#hits += 1;
    this.ctx.storage.sql.exec(
      'INSERT INTO hits (id, n) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n',
      this.#hits,
    );
    return this.#hits;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    const stub = env.BASELINE.get(env.BASELINE.idFromName('baseline'));
    if (path === '/do') return Response.json({ hits: await stub.ping() });
    if (path === '/do-write') return Response.json({ hits: await stub.write() });
    if (path === '/do-auth') {
      const token = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
      const claims = await verify(token, env.JWT_SECRET, 'HS256').catch(() => undefined);
      if (!claims) return new Response('unauthorized', { status: 401 });
      return Response.json({ hits: await stub.ping() });
    }
    return new Response('not found', { status: 404 });
  },
};
