/**
 * `application/trickle-ice-sdpfrag` bodies (RFC 8840 section 9) as WHIP and WHEP clients send
 * them in `PATCH` (RFC 9725 section 4.3): session-level `a=ice-ufrag` / `a=ice-pwd` (or
 * `a=ice-options`), then per media section an `m=` line, its `a=mid`, its `a=candidate` lines
 * and maybe `a=end-of-candidates`. Pure: parsed into the `RTCIceCandidateInit`s the session's
 * trickle path takes.
 */
import type { IceCandidateInit } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';

export interface SdpFrag {
  /** The ICE credentials the fragment names, if any (a change of them is an ICE restart). */
  ufrag: string | undefined;
  pwd: string | undefined;
  candidates: IceCandidateInit[];
  /** `a=end-of-candidates` was present. */
  endOfCandidates: boolean;
}

/** Parses a trickle-ice-sdpfrag; 400 `invalid_request` for a line that is not SDP. */
export function parseSdpFrag(text: string): SdpFrag {
  const frag: SdpFrag = {
    ufrag: undefined,
    pwd: undefined,
    candidates: [],
    endOfCandidates: false,
  };
  let mLineIndex = -1;
  let mid: string | undefined;
  let sectionUfrag: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    if (!/^[a-z]=/.test(line)) {
      throw new MediaError('invalid_request', 'the body is not a trickle-ice-sdpfrag', {
        field: '(body)',
      });
    }
    if (line.startsWith('m=')) {
      mLineIndex++;
      mid = undefined;
      sectionUfrag = undefined;
    } else if (line.startsWith('a=mid:')) {
      mid = line.slice('a=mid:'.length);
    } else if (line.startsWith('a=ice-ufrag:')) {
      const value = line.slice('a=ice-ufrag:'.length);
      if (mLineIndex < 0) frag.ufrag = value;
      else sectionUfrag = value;
      frag.ufrag ??= value;
    } else if (line.startsWith('a=ice-pwd:')) {
      frag.pwd ??= line.slice('a=ice-pwd:'.length);
    } else if (line.startsWith('a=candidate:')) {
      frag.candidates.push({
        candidate: line.slice('a='.length),
        sdpMid: mid ?? null,
        sdpMLineIndex: Math.max(mLineIndex, 0),
        usernameFragment: sectionUfrag ?? frag.ufrag ?? null,
      });
    } else if (line === 'a=end-of-candidates') {
      frag.endOfCandidates = true;
    }
  }
  return frag;
}
