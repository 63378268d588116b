/**
 * A publisher's simulcast offer (RFC 8853: `a=rid:<id> send` per encoding and
 * `a=simulcast:send <id>;<id>;...`) as werift 0.25.2 can receive it:
 *
 * - werift reads `a=rid:<id> <rest>` as rid + direction and answers the direction flipped only
 *   when it is exactly `send`: with restrictions (`a=rid:q send max-width=320`, what Firefox and
 *   some SDKs write) it answered `send` and the publisher sent nothing. Restrictions are removed
 *   (the node forwards whatever arrives; it never asks for a size).
 * - At most `MAX_LAYERS` encodings per section (the rest are removed from both attributes).
 * - werift keys its rid routing table by rid alone, per peer connection: a second simulcast
 *   section with the same rids would take the first one's packets. Only the first video section
 *   keeps simulcast; a later one loses its rids (the publisher then sends one encoding there).
 * - Paused (`~q`) and alternative (`q,x`) entries of `a=simulcast` are flattened to plain ids.
 */
import { MAX_LAYERS } from '../layers.ts';
import { attributes, type SdpText } from './sdp-text.ts';

/** What the offer's simulcast became, for the log. */
export interface SimulcastNote {
  mid: string | undefined;
  rids: string[];
  dropped: string[];
  why: string;
}

/** Rewrites `text`'s rid/simulcast attributes as described above; returns notes for the log. */
export function normalizeSimulcast(text: SdpText): SimulcastNote[] {
  const notes: SimulcastNote[] = [];
  let seen = false;
  for (const section of text.media) {
    const rids = attributes(section.lines, 'rid')
      .map((v) => v.split(' '))
      .filter(([, direction]) => direction === 'send')
      .map(([id]) => id ?? '')
      .filter((id, i, all) => id !== '' && all.indexOf(id) === i);
    if (rids.length === 0) continue;
    const sectionMid = attributes(section.lines, 'mid')[0];
    const keep = section.kind === 'video' && !seen ? rids.slice(0, MAX_LAYERS) : [];
    const dropped = rids.filter((r) => !keep.includes(r));
    if (dropped.length > 0) {
      const why =
        section.kind !== 'video'
          ? 'simulcast is received for video only'
          : keep.length === 0
            ? 'only the first video section of a session may be simulcast'
            : `at most ${MAX_LAYERS} layers`;
      notes.push({ mid: sectionMid, rids: keep, dropped, why });
    }
    section.lines = section.lines.filter(
      (l) => !l.startsWith('a=rid:') && !l.startsWith('a=simulcast:'),
    );
    if (keep.length === 0) continue;
    seen = true;
    section.lines.push(
      ...keep.map((id) => `a=rid:${id} send`),
      `a=simulcast:send ${keep.join(';')}`,
    );
  }
  return notes;
}
