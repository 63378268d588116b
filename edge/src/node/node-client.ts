/** Signed, time-bounded calls from the edge to a media node's internal API. */
import { INTERNAL_BASE } from '../../../shared/internal.ts';
import { deriveNodeKey, signRequest, toNode } from '../../../shared/signing.ts';
import { log } from '../log.ts';
import { nodeFailure, nodeUnavailable } from './node-errors.ts';

export interface NodeTarget {
  id: string;
  /** Base URL of the node (no trailing slash). */
  url: string;
}

export interface NodeCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below `INTERNAL_BASE`, e.g. `/sessions/abc/offer`. */
  path: string;
  body?: unknown;
}

export interface NodeClientOptions {
  /** The master secret (`NODE_SHARED_SECRET`): each call is signed with the target's own key. */
  secret: string;
  timeoutMs: number;
}

/**
 * Calls the node and returns its JSON body (undefined for 204). Throws a `MediaError` for every
 * failure: the timeout covers connecting, waiting and reading the body, so a stuck node never
 * holds a client request longer than `timeoutMs`.
 */
export async function callNode(
  node: NodeTarget,
  call: NodeCall,
  { secret, timeoutMs }: NodeClientOptions,
): Promise<unknown> {
  const url = new URL(`${node.url}${INTERNAL_BASE}${call.path}`);
  const body = call.body === undefined ? '' : JSON.stringify(call.body);
  // The target's key and id are in the signature: a request replayed on another node fails.
  const headers = await signRequest(await deriveNodeKey(secret, node.id), {
    method: call.method,
    path: url.pathname + url.search,
    body,
    party: toNode(node.id),
  });
  if (body) headers['content-type'] = 'application/json';
  const started = Date.now();
  let response: Response;
  let parsed: unknown;
  try {
    response = await fetch(url, {
      method: call.method,
      headers,
      body: body || undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    parsed = text ? JSON.parse(text) : undefined;
  } catch (err) {
    const why = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'unreachable';
    log('warn', 'node_call_failed', {
      node: node.id,
      path: call.path,
      why,
      ms: Date.now() - started,
    });
    throw nodeUnavailable(node.id, why);
  }
  if (!response.ok) {
    log('warn', 'node_call_refused', { node: node.id, path: call.path, status: response.status });
    throw nodeFailure(node.id, response.status, parsed, response.headers.get('retry-after'));
  }
  return parsed;
}
