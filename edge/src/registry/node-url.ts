/**
 * Which URLs a node may register (`NODE_URL_ALLOW`). The edge calls whatever URL a heartbeat
 * names, with SDPs in the body: without a fence, whoever holds a node key could point the
 * edge at any address (SSRF) and collect clients' offers there.
 */

/** Loopback only: the local stack. Production lists its nodes' hosts. */
export const DEFAULT_NODE_URL_ALLOW = 'http://127.0.0.1:*,http://[::1]:*,http://localhost:*';

const PATTERN = /^(https?):\/\/([A-Za-z0-9.*:[\]-]+)$/;

/**
 * Compiles `scheme://host[:port]` patterns (comma-separated). `*` stands for one DNS label or a
 * port number, never for a dot, a slash or an `@`, so `https://*.example.net` cannot match
 * `https://evil.test/.example.net`. Throws naming the bad pattern.
 */
export function parseUrlPatterns(list: string): RegExp[] {
  return list
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const m = PATTERN.exec(p);
      if (!m) throw new Error(`NODE_URL_ALLOW: "${p}" is not scheme://host[:port] (no path)`);
      const escaped = p.toLowerCase().replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
      return new RegExp(`^${escaped.replaceAll('*', '[a-z0-9-]+')}$`);
    });
}

/**
 * The node URL without a trailing slash when its origin is allowed by `patterns` (a path
 * prefix is kept: a node may sit behind a proxy); undefined for credentials, a query, a
 * fragment, or an origin outside the list.
 */
export function allowedNodeUrl(raw: string, patterns: readonly RegExp[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.search || url.hash) return undefined;
  const origin = `${url.protocol}//${url.host}`;
  if (!patterns.some((p) => p.test(origin))) return undefined;
  return `${origin}${url.pathname}`.replace(/\/+$/, '');
}
