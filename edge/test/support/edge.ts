/** Helpers the Workers-runtime tests share: calling the edge, tokens, nodes, sockets. */
import { env, exports } from 'cloudflare:workers';
import { inject } from 'vitest';
import type { CreateSessionResponse } from '../../../shared/api.ts';
import type { NodeEvent } from '../../../shared/events.ts';
import type { Heartbeat } from '../../../shared/internal.ts';
import { deriveNodeKey, fromNode, signRequest } from '../../../shared/signing.ts';
import { signToken } from '../../src/auth/token.ts';
import type { FakeNodeMode, FakeNodeRecord } from './fake-node-protocol.ts';
import { TEST_JWT_SECRET, TEST_NODE_SECRET } from './fake-node-protocol.ts';

export const ORIGIN = 'http://edge.test';

/** A fresh name, so tests never share rooms, devices or nodes. */
export function uid(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

export function token(
  device: string,
  options: { room?: string; admin?: boolean; ttlSeconds?: number; nowSeconds?: number } = {},
): Promise<string> {
  return signToken(TEST_JWT_SECRET, { device, ttlSeconds: 600, ...options });
}

/** JSON request with a bearer token. */
export function authed(
  tok: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return {
    method,
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  } satisfies RequestInit;
}

export function fakeNodeUrl(nodeId: string): string {
  return `http://127.0.0.1:${inject('fakeNodePort')}/n/${nodeId}`;
}

/**
 * The signature headers node `nodeId` puts on a POST of `text` to `path` (its key derived from
 * `master`, as the edge derives it).
 */
export async function nodeSignature(
  nodeId: string,
  path: string,
  text: string,
  options: { master?: string; now?: number } = {},
): Promise<Record<string, string>> {
  const key = await deriveNodeKey(options.master ?? TEST_NODE_SECRET, nodeId);
  return signRequest(
    key,
    { method: 'POST', path, body: text, party: fromNode(nodeId) },
    options.now,
  );
}

/** Sends a signed request to an internal route of the edge, as the node in `body` would. */
export async function signedCall(path: string, body: unknown, master = TEST_NODE_SECRET) {
  const text = JSON.stringify(body);
  const nodeId = String((body as { nodeId?: unknown }).nodeId);
  const headers = await nodeSignature(nodeId, path, text, { master });
  return call(path, {
    method: 'POST',
    body: text,
    headers: { ...headers, 'content-type': 'application/json' },
  });
}

export function heartbeatBody(nodeId: string, overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    nodeId,
    url: fakeNodeUrl(nodeId),
    region: 'local',
    state: 'ready',
    startedAt: 1_000,
    load: { sessions: 0, rooms: 0, maxSessions: 100, eventLoopLagMs: 1 },
    ...overrides,
  };
}

/** Registers (or refreshes) a fake node with the edge. */
export async function heartbeat(nodeId: string, overrides: Partial<Heartbeat> = {}) {
  const res = await signedCall('/internal/v1/nodes/heartbeat', heartbeatBody(nodeId, overrides));
  if (res.status !== 200) throw new Error(`heartbeat ${res.status}: ${await res.text()}`);
  return res;
}

export async function nodeEvents(nodeId: string, events: NodeEvent[]) {
  return signedCall('/internal/v1/events', { nodeId, events });
}

export async function setNodeMode(nodeId: string, mode: FakeNodeMode): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${inject('fakeNodePort')}/control/${nodeId}`, {
    method: 'POST',
    body: JSON.stringify({ mode }),
  });
  if (!res.ok) throw new Error(`fake node control ${res.status}`);
}

export async function nodeRequests(nodeId: string): Promise<FakeNodeRecord[]> {
  const res = await fetch(`http://127.0.0.1:${inject('fakeNodePort')}/control/${nodeId}/requests`);
  return (await res.json()) as FakeNodeRecord[];
}

export async function createSession(
  tok: string,
  body: Record<string, unknown> = {},
): Promise<CreateSessionResponse> {
  const res = await call('/api/media/sessions', authed(tok, 'POST', body));
  if (res.status !== 201) throw new Error(`create ${res.status}: ${await res.text()}`);
  return (await res.json()) as CreateSessionResponse;
}

/** A node, a device token and a session that has sent its offer (state `negotiating`). */
export async function negotiatingSession(body: Record<string, unknown> = {}) {
  const nodeId = uid('node');
  await heartbeat(nodeId);
  const device = uid('dev');
  const tok = await token(device);
  const session = await createSession(tok, body);
  const res = await call(session.links.offer, authed(tok, 'POST', { sdp: 'v=0 offer' }));
  if (res.status !== 200) throw new Error(`offer ${res.status}: ${await res.text()}`);
  return { nodeId, device, tok, session };
}

export function shardCount(): number {
  return Number(env.SHARD_COUNT ?? '32');
}
