/** Signed requests to a media node's internal API, as the edge makes them. */
import { deriveNodeKey, signRequest, toNode } from '../../../shared/signing.ts';

export interface ApiReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON replies.
  json: any;
}

export interface NodeApi {
  request(
    method: string,
    path: string,
    body?: unknown,
    opts?: { sign?: boolean; headers?: Record<string, string> },
  ): Promise<ApiReply>;
}

/** `master` is the edge's secret: requests are signed with node `nodeId`'s derived key. */
export function nodeApi(baseUrl: string, master: string, nodeId: string): NodeApi {
  return {
    async request(method, path, body, opts = {}) {
      const text = body === undefined ? '' : JSON.stringify(body);
      const key = await deriveNodeKey(master, nodeId);
      const signed =
        opts.sign === false
          ? {}
          : await signRequest(key, { method, path, body: text, party: toNode(nodeId) });
      const res = await fetch(baseUrl + path, {
        method,
        body: body === undefined ? undefined : text,
        headers: {
          ...signed,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...opts.headers,
        },
      });
      const raw = await res.text();
      return { status: res.status, headers: res.headers, json: raw ? JSON.parse(raw) : undefined };
    },
  };
}
