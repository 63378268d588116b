/**
 * A session's ICE servers as `Link` header values (RFC 9725 section 4.6): one per URL,
 * `<turn:...>; rel="ice-server"; username="..."; credential="..."; credential-type="password"`.
 */
import type { IceServer } from '../../../shared/api.ts';

/** RFC 9110 quoted-string: backslash-escapes `"` and `\`. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** The `Link` header values for `servers`, in order. */
export function iceServerLinks(servers: readonly IceServer[]): string[] {
  const links: string[] = [];
  for (const server of servers) {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    for (const url of urls) {
      // A URL with `>` or a line break could end the link or the header: not ours, skipped.
      if (/[<>\s]/.test(url)) continue;
      let link = `<${url}>; rel="ice-server"`;
      if (server.username !== undefined && server.credential !== undefined) {
        link += `; username=${quoted(server.username)}; credential=${quoted(server.credential)}`;
        link += '; credential-type="password"';
      }
      links.push(link);
    }
  }
  return links;
}
