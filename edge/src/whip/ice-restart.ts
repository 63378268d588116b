/**
 * ICE restart over a WHIP/WHEP `PATCH` (RFC 9725 section 4.3.2), done the way the SDK does it:
 * a re-offer with new ICE credentials on the same session. A WHIP client sends only an sdpfrag
 * (its new `ice-ufrag` / `ice-pwd` and maybe candidates), so the re-offer is built from the
 * session's last offer with those credentials and candidates; the node answers with new
 * credentials of its own, which go back to the client as an sdpfrag. Pure: strings in, out.
 */
import type { IceCandidateInit } from '../../../shared/api.ts';

/** The first `a=ice-ufrag` of an SDP (session or media level), if any. */
export function iceUfragOf(sdp: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
}

/**
 * `offer` with every `ice-ufrag` / `ice-pwd` replaced by the new ones, its old candidates and
 * `end-of-candidates` dropped, and `candidates` added to the media section they name (by
 * `sdpMid`, else `sdpMLineIndex`). Line endings are CRLF, as SDP wants.
 */
export function restartOffer(
  offer: string,
  ufrag: string,
  pwd: string,
  candidates: readonly IceCandidateInit[],
): string {
  const out: string[] = [];
  let section = -1;
  let mid: string | undefined;
  const flush = () => {
    if (section < 0) return;
    for (const c of candidates) {
      const here = c.sdpMid != null ? c.sdpMid === mid : c.sdpMLineIndex === section;
      if (here) out.push(`a=${c.candidate}`);
    }
  };
  for (const raw of offer.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    if (line.startsWith('m=')) {
      flush();
      section++;
      mid = undefined;
    }
    if (line.startsWith('a=mid:')) mid = line.slice('a=mid:'.length);
    if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
    if (line.startsWith('a=ice-ufrag:')) out.push(`a=ice-ufrag:${ufrag}`);
    else if (line.startsWith('a=ice-pwd:')) out.push(`a=ice-pwd:${pwd}`);
    else out.push(line);
  }
  flush();
  return `${out.join('\r\n')}\r\n`;
}

/**
 * The `application/trickle-ice-sdpfrag` a restart answers with (RFC 8840 section 9, the example
 * of RFC 9725 section 4.3.2): the answer's `ice-lite`, `ice-ufrag`, `ice-pwd` and BUNDLE group
 * at session level, then each media section that carries candidates with its `m=`, `a=mid`,
 * candidates and `a=end-of-candidates` (with BUNDLE that is the first section only).
 */
export function answerFrag(answer: string): string {
  const session: string[] = [];
  const sections: string[][] = [];
  let ufrag: string | undefined;
  let pwd: string | undefined;
  let current: { head: string[]; candidates: string[]; end: boolean } | undefined;
  const close = () => {
    if (current && current.candidates.length > 0) {
      sections.push([
        ...current.head,
        ...current.candidates,
        ...(current.end ? ['a=end-of-candidates'] : []),
      ]);
    }
  };
  for (const raw of answer.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('m=')) {
      close();
      current = { head: [line], candidates: [], end: false };
    } else if (line.startsWith('a=ice-ufrag:')) {
      ufrag ??= line;
    } else if (line.startsWith('a=ice-pwd:')) {
      pwd ??= line;
    } else if (!current) {
      if (line === 'a=ice-lite' || line.startsWith('a=group:BUNDLE')) session.push(line);
    } else if (line.startsWith('a=mid:')) {
      current.head.push(line);
    } else if (line.startsWith('a=candidate:')) {
      current.candidates.push(line);
    } else if (line === 'a=end-of-candidates') {
      current.end = true;
    }
  }
  close();
  const lines = [...session, ...(ufrag ? [ufrag] : []), ...(pwd ? [pwd] : []), ...sections.flat()];
  return `${lines.join('\r\n')}\r\n`;
}
