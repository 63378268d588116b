/**
 * The node's HTTP server (node:http): routing, body limit, HMAC verification of internal
 * routes, the single error path (MediaError -> `{error:{code,message}}`, anything else -> a
 * logged 500 without internals) and request metrics by route pattern.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MediaError } from '../../../shared/errors.ts';
import { type ReplayGuard, toNode, verifyRequest } from '../../../shared/signing.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../ops/metrics.ts';
import { readBody } from './body.ts';
import { notHereError } from './not-here.ts';
import type { Router } from './router.ts';
import type { Reply, Route } from './types.ts';

/** How long an idle keep-alive connection from the edge stays open, in ms. */
export const IDLE_KEEP_ALIVE_MS = 65_000;

export interface HttpServerOptions {
  router: Router<Route>;
  /** This node's own key and id: a request signed for another node is refused. */
  nodeKey: string;
  nodeId: string;
  /** Requests signed before this (the process start, ms) are refused: no replay across restarts. */
  notBefore: number;
  /** Set when the node must not serve (see Config.insecure): signed calls get 503. */
  misconfigured: string | undefined;
  replayGuard: ReplayGuard;
  maxBodyBytes: number;
  metrics: Metrics;
  log: Logger;
  /** The edge this node reports to: unknown public paths get a 404 that points there. */
  edgeUrl?: string | undefined;
}

export function createHttpServer(o: HttpServerOptions): Server {
  const server = createServer((req, res) => {
    void handle(o, req, res);
  });
  // Edge connections are keep-alive; a slow client must not hold a socket forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // The client must be the side that closes an idle connection: when the server closes it (Node's
  // default is after 5 s), a request the edge sends on it at that moment fails, and workerd's
  // fetch reports that as unreachable (found by bench/signaling: spurious 503
  // media_node_unavailable). Idle sockets cost little; the edge's pool closes its own sooner.
  server.keepAliveTimeout = IDLE_KEEP_ALIVE_MS;
  return server;
}

async function handle(
  o: HttpServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://node');
  const match = o.router.match(method, url.pathname);
  const route = typeof match === 'object' ? match.route : 'unmatched';
  let reply: Reply;
  try {
    if (match === undefined) throw notHereError(url.pathname, o.edgeUrl);
    if (match === 'method') throw new MediaError('not_found', `no ${method} route here`);
    const body = await readBody(req, o.maxBodyBytes);
    if (match.handler.signed) {
      if (o.misconfigured !== undefined) {
        throw new MediaError('misconfigured', 'this media node is misconfigured; its log says why');
      }
      const verdict = await verifyRequest(
        o.nodeKey,
        { method, path: req.url ?? '/', body, party: toNode(o.nodeId) },
        req.headers,
        { replayGuard: o.replayGuard, notBefore: o.notBefore },
      );
      if (!verdict.ok) {
        o.log.warn({ route, reason: verdict.reason }, 'request_unauthorized');
        throw new MediaError('unauthorized', 'missing, invalid or replayed request signature');
      }
    }
    reply = await match.handler.handle({ params: match.params, query: url.searchParams, body });
  } catch (error) {
    reply = errorReply(error, o.log, route);
  }
  send(res, reply);
  const status = String(reply.status);
  o.metrics.httpRequests.inc({ method, route, status });
  o.metrics.httpDuration.observe({ method, route }, (performance.now() - started) / 1000);
}

function errorReply(error: unknown, log: Logger, route: string): Reply {
  if (error instanceof MediaError) {
    return {
      status: error.status,
      json: error.toBody(),
      headers:
        error.retryAfterSeconds === undefined
          ? {}
          : { 'retry-after': String(error.retryAfterSeconds) },
    };
  }
  const requestId = randomUUID();
  log.error({ err: error, route, requestId }, 'request_failed');
  return {
    status: 500,
    json: { error: { code: 'internal_error', message: 'internal error', requestId } },
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.text !== undefined) {
    payload = reply.text;
    headers['content-type'] = reply.contentType ?? 'text/plain; charset=utf-8';
  } else if (reply.json !== undefined) {
    payload = JSON.stringify(reply.json);
    headers['content-type'] = 'application/json';
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}
