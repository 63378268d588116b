/**
 * Bounds and DTLS fingerprint checks on client SDP, at the edge and again on the node before
 * werift sees it (issue 12, items 7 and 8). werift answers every m-line it is offered: a valid 65,101-character offer with 137
 * m-lines made an 80 KB answer the edge could not take in time. And it accepts any
 * `a=fingerprint` text, so a malformed fingerprint only fails the DTLS handshake later (a session
 * that never connects instead of a 400 naming the problem).
 */
import { MediaError } from './errors.ts';

/**
 * Media sections (m-lines) accepted in one description: a client's own audio + video + data
 * plus two per other participant it receives, for rooms of up to ~30 people. Past this the
 * answer outgrows what the edge relays (64 KiB of SDP).
 */
export const MAX_SDP_MEDIA_SECTIONS = 64;

/** Digest length in bytes of each hash function RFC 8122 allows in `a=fingerprint`. */
const FINGERPRINT_BYTES: Readonly<Record<string, number>> = {
  'sha-1': 20,
  'sha-224': 28,
  'sha-256': 32,
  'sha-384': 48,
  'sha-512': 64,
};

const HEX_PAIRS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/;

/** Throws `400 invalid_request` naming the limit when `sdp` has too many m-lines. */
export function assertMediaSections(sdp: string, what: 'offer' | 'answer'): void {
  const sections = sdp.match(/^m=/gm)?.length ?? 0;
  if (sections > MAX_SDP_MEDIA_SECTIONS) {
    throw new MediaError(
      'invalid_request',
      `${what} has ${sections} media sections (m= lines); at most ${MAX_SDP_MEDIA_SECTIONS}`,
      { field: 'sdp', limit: MAX_SDP_MEDIA_SECTIONS },
    );
  }
}

/**
 * Throws `400 invalid_request` unless every `a=fingerprint` line names a known hash function
 * and carries exactly its digest length as colon-separated hex bytes (RFC 8122 section 5).
 */
export function assertFingerprints(sdp: string, what: 'offer' | 'answer'): void {
  for (const [, value] of sdp.matchAll(/^a=fingerprint:([^\r\n]*)/gm)) {
    const [algorithm = '', digest = '', ...rest] = (value ?? '').trim().split(/\s+/);
    const bytes = FINGERPRINT_BYTES[algorithm.toLowerCase()];
    const problem =
      bytes === undefined
        ? `unknown hash function ${JSON.stringify(algorithm.slice(0, 16))}`
        : rest.length > 0 || !HEX_PAIRS.test(digest)
          ? 'not colon-separated hex bytes'
          : (digest.length + 1) / 3 !== bytes
            ? `${algorithm} needs ${bytes} bytes, got ${(digest.length + 1) / 3}`
            : undefined;
    if (problem) {
      throw new MediaError(
        'invalid_request',
        `${what} has an invalid DTLS fingerprint: ${problem} (expected e.g. "a=fingerprint:sha-256 AB:CD:...")`,
        { field: 'sdp' },
      );
    }
  }
}
