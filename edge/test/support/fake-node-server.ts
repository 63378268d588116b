/**
 * A fake media node for the Workers-runtime tests, run in Node by the vitest globalSetup.
 *
 * One HTTP server hosts many virtual nodes under `/n/<nodeId>`, so every test registers its own
 * node ids and cannot see another test's traffic. Each virtual node checks the edge's HMAC
 * signature like a real node (401 when missing, bad or replayed) and records every request for
 * the tests to inspect. `POST /control/<nodeId>` sets how the node misbehaves.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { deriveNodeKey, ReplayGuard, toNode, verifyRequest } from '../../../shared/signing.ts';
import {
  type FakeNodeMode,
  type FakeNodeRecord,
  fakeNodeModeSchema,
} from './fake-node-protocol.ts';

interface FakeSession {
  sessionId: string;
  room: string;
  deviceId: string;
  echo: boolean;
  candidates: number;
  /** Reads of the session's view: its fake stats grow with them, as live ones do with time. */
  reads: number;
  restarts: number;
}

/** The answer to ICE restart number `n` of session `id`: new credentials and one candidate. */
function restartAnswer(id: string, n: number): string {
  return [
    `v=0 fake-answer ${id}`,
    'a=ice-lite',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'a=mid:0',
    `a=ice-ufrag:srv${n}`,
    `a=ice-pwd:serverpassword${n}serverpassword`,
    `a=candidate:1 1 udp 2130706431 127.0.0.1 ${50000 + n} typ host`,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

interface VirtualNode {
  mode: FakeNodeMode;
  requests: FakeNodeRecord[];
  sessions: Map<string, FakeSession>;
}

const NODE_PATH = /^\/n\/([^/]+)(\/internal\/v1\/.*)$/;
const CONTROL_PATH = /^\/control\/([^/]+)(\/requests)?$/;

export interface FakeNodeServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the fake node on 127.0.0.1 on a free port. */
export async function startFakeNodeServer(secret: string): Promise<FakeNodeServer> {
  const nodes = new Map<string, VirtualNode>();
  const guard = new ReplayGuard();
  const sockets = new Set<Socket>();
  const nodeFor = (id: string): VirtualNode => {
    let node = nodes.get(id);
    if (!node) {
      node = { mode: 'ok', requests: [], sessions: new Map() };
      nodes.set(id, node);
    }
    return node;
  };

  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => handle(req, res, body));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
  ): Promise<ServerResponse | undefined> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const control = CONTROL_PATH.exec(url.pathname);
    if (control?.[1]) {
      const node = nodeFor(control[1]);
      if (control[2]) return json(res, 200, node.requests);
      node.mode = fakeNodeModeSchema.parse(JSON.parse(body).mode);
      return json(res, 200, { mode: node.mode });
    }
    const match = NODE_PATH.exec(url.pathname);
    if (!match?.[1] || !match[2]) return json(res, 404, error('not_found', 'no such route'));
    const node = nodeFor(match[1]);
    // Like a real node: only its own key, and its own id as the party, are accepted.
    const verdict = await verifyRequest(
      await deriveNodeKey(secret, match[1]),
      {
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        body,
        party: toNode(match[1]),
      },
      req.headers,
      { replayGuard: guard },
    );
    node.requests.push({
      method: req.method ?? 'GET',
      path: match[2] + url.search,
      body,
      signature: verdict.ok ? 'ok' : verdict.reason,
    });
    if (!verdict.ok) return json(res, 401, error('unauthorized', `signature: ${verdict.reason}`));
    switch (node.mode) {
      case 'hang':
        return; // never answers: the edge's timeout must fire
      case 'error500':
        return json(res, 500, error('internal_error', 'boom'));
      case 'capacity':
        res.setHeader('retry-after', '7');
        return json(res, 503, error('capacity_exceeded', 'node is full'));
      case 'reject409':
        return json(res, 409, error('invalid_state', 'node says no'));
      case 'ok':
        return route(node, req.method ?? 'GET', match[2], body, res);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake node: no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function route(
  node: VirtualNode,
  method: string,
  path: string,
  body: string,
  res: ServerResponse,
): ServerResponse {
  const session = /^\/internal\/v1\/sessions\/([^/?]+)(\/[a-z]+)?/.exec(path);
  const room = /^\/internal\/v1\/rooms\/([^/?]+)$/.exec(path);
  if (session?.[1]) {
    const id = session[1];
    const action = `${method} ${session[2] ?? ''}`;
    if (action === 'POST /offer') {
      const offer = JSON.parse(body) as Omit<FakeSession, 'sessionId' | 'candidates'> & {
        sdp: string;
      };
      const known = node.sessions.get(id);
      if (known && /^a=ice-ufrag:/m.test(offer.sdp)) {
        // A re-offer with ICE credentials (an ICE restart): new server credentials, like a node.
        known.restarts++;
        return json(res, 200, { type: 'answer', sdp: restartAnswer(id, known.restarts) });
      }
      node.sessions.set(id, {
        sessionId: id,
        room: offer.room,
        deviceId: offer.deviceId,
        echo: offer.echo,
        candidates: 0,
        reads: 0,
        restarts: 0,
      });
      return json(res, 200, { type: 'answer', sdp: `v=0 fake-answer ${id}` });
    }
    const known = node.sessions.get(id);
    if (action === 'DELETE ') {
      node.sessions.delete(id);
      return empty(res);
    }
    if (!known) return json(res, 404, error('session_not_found', 'unknown session'));
    if (action === 'POST /candidates') {
      known.candidates += (JSON.parse(body) as { candidates: unknown[] }).candidates.length;
      return empty(res);
    }
    if (action === 'POST /answer') return empty(res);
    if (action === 'GET ') {
      known.reads += 1;
      const { sessionId, room, deviceId, echo, candidates } = known;
      return json(res, 200, {
        ...{ sessionId, room, deviceId, echo, state: 'connected', iceCandidates: candidates },
        tracks: [{ trackId: `${id}:0`, kind: 'audio' }],
        stats: fakeStats(`${id}:0`, known.reads),
      });
    }
    if (action === 'PUT /subscriptions') {
      // Every fake session receives one simulcast video track, `<publisher>:1`.
      const trackId = decodeURIComponent(path.split('/').at(-1) ?? '');
      if (!trackId.endsWith(':1')) return json(res, 404, error('track_not_found', 'no such track'));
      const change = JSON.parse(body) as { maxLayer?: string; paused?: boolean };
      return json(res, 200, {
        trackId,
        kind: 'video',
        rids: ['q', 'h', 'f'],
        maxLayer: change.maxLayer ?? 'f',
        paused: change.paused ?? false,
        layer: change.paused ? null : (change.maxLayer ?? 'f'),
      });
    }
  }
  if (room?.[1] && method === 'GET') {
    const participants = [...node.sessions.values()]
      .filter((s) => s.room === room[1])
      .map((s) => ({
        sessionId: s.sessionId,
        deviceId: s.deviceId,
        state: 'connected',
        tracks: [],
      }));
    if (participants.length === 0) return json(res, 404, error('room_not_found', 'no such room'));
    // The first member is the room's active speaker, as a node says once someone spoke.
    return json(res, 200, {
      room: room[1],
      participants,
      activeSpeaker: participants[0]?.sessionId ?? null,
    });
  }
  return json(res, 404, error('not_found', 'no such route'));
}

/** Stats as a node reports them (shared/stats.ts), `reads` seconds of 50 packets each. */
function fakeStats(trackId: string, reads: number) {
  const stream = { bitrateBps: 32_000, packets: 50 * reads, lossRatio: 0, jitterMs: 1.5 };
  return {
    at: new Date().toISOString(),
    intervalMs: 1_000,
    inbound: stream,
    outbound: { bitrateBps: 0, packets: 0, lossRatio: null, jitterMs: null },
    rttMs: null,
    estimateBps: null,
    estimateSource: null,
    tracks: [{ ...stream, trackId, kind: 'audio', direction: 'in', rttMs: null, layer: null }],
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function error(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function json(res: ServerResponse, status: number, body: unknown): ServerResponse {
  return res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function empty(res: ServerResponse): ServerResponse {
  return res.writeHead(204).end();
}
