/**
 * The entity tag of a WHIP/WHEP session (RFC 9725 section 4.3.1): it names the session's ICE
 * session, so an ICE restart changes it. It is derived from the session id and the ICE
 * generation (1 at creation, +1 per restart; stored by the shard), so a tag from another
 * session or an earlier ICE session never matches.
 */
import { sha256Hex } from '../digest.ts';

/** The ICE generation of a session that has not restarted ICE. */
export const FIRST_ICE_GENERATION = 1;

/** The session's strong ETag for ICE generation `generation`, quotes included. */
export async function sessionEtag(sessionId: string, generation: number): Promise<string> {
  const digest = await sha256Hex(`${sessionId}/ice/${generation}`);
  return `"${digest.slice(0, 20)}"`;
}

/**
 * Whether an `If-Match` header value matches `etag`: `*`, or a list containing it (RFC 9110
 * section 13.1.1 uses strong comparison: weak tags never match).
 */
export function ifMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t === etag);
}
