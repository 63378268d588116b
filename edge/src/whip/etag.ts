/**
 * The entity tag of a WHIP/WHEP session (RFC 9725 section 4.3.1): it names the ICE session, so
 * it would change on an ICE restart. The media node cannot restart ICE yet (PATCH answers 422
 * for a restart), so a session has one ICE session for its life and its tag is derived from its
 * id alone: no storage, and a tag from another session never matches.
 */
import { sha256Hex } from '../digest.ts';

/** The ICE generation every session has until ICE restarts are supported. */
const FIRST_ICE_GENERATION = 1;

/** The session's current strong ETag, quotes included. */
export async function sessionEtag(sessionId: string): Promise<string> {
  const digest = await sha256Hex(`${sessionId}/ice/${FIRST_ICE_GENERATION}`);
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
