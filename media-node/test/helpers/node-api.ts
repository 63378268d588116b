/** Signed requests to a media node's internal API, as the edge makes them. */
import { signRequest } from '../../../shared/signing.ts';

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

export function nodeApi(baseUrl: string, secret: string): NodeApi {
  return {
    async request(method, path, body, opts = {}) {
      const text = body === undefined ? '' : JSON.stringify(body);
      const signed =
        opts.sign === false ? {} : await signRequest(secret, { method, path, body: text });
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
