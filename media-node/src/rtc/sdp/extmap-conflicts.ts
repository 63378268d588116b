/**
 * RTP header extension ids that mean two URIs in one offer. RFC 8843 9.2 forbids it across a
 * BUNDLE group, but aiortc 1.4 offers `a=extmap:2` as ssrc-audio-level in audio and as
 * abs-send-time in video. werift keeps one id -> URI map per peer connection, so one kind's
 * packets were parsed with the other's format: its parser threw on a 1-byte "abs-send-time"
 * and every audio packet was dropped (silence, no error). The first section to use an id keeps
 * it; a later section that uses it for another URI loses that extension (it is not negotiated
 * there, so the client does not send it).
 */
import type { SdpText } from './sdp-text.ts';

const EXTMAP = /^a=extmap:(\d+)(?:\/\S+)? (\S+)/;

/** Removes the conflicting `a=extmap` lines from `text`; returns what was removed, for the log. */
export function dropConflictingExtmaps(text: SdpText): string[] {
  const uriOf = new Map<number, string>();
  const dropped: string[] = [];
  for (const section of text.media) {
    section.lines = section.lines.filter((line) => {
      const m = EXTMAP.exec(line);
      if (!m) return true;
      const id = Number(m[1]);
      const uri = m[2] as string;
      const known = uriOf.get(id);
      if (known === undefined) uriOf.set(id, uri);
      else if (known !== uri) {
        dropped.push(`m=${section.kind} extmap ${id} ${uri} (id already means ${known})`);
        return false;
      }
      return true;
    });
  }
  return dropped;
}
