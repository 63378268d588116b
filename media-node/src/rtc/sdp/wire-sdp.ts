/**
 * The node's own descriptions as they leave it. werift writes two things the standards say
 * otherwise, and independent stacks act on them:
 *
 * - A re-offer carries the transport's settled DTLS role (`a=setup:active`) in every section;
 *   an offer must say `actpass` (RFC 8842 5.2, JSEP 5.2.2). aiortc refuses such an offer ("DTLS
 *   setup attribute must be 'actpass' for an offer") and the node kept re-offering until its
 *   answer timeout. The answerer keeps its role (RFC 8842 5.5), so the DTLS association stays.
 * - `a=ice-lite` is written in every media section; RFC 8839 5.3 defines it at session level
 *   only. It is moved there once.
 */
import { formatSdpText, parseSdpText } from './sdp-text.ts';

export type WireType = 'offer' | 'answer';

export function toWireSdp(sdp: string, type: WireType): string {
  const text = parseSdpText(sdp);
  let lite = text.session.includes('a=ice-lite');
  for (const section of text.media) {
    if (section.lines.includes('a=ice-lite')) lite = true;
    section.lines = section.lines.filter((l) => l !== 'a=ice-lite');
    if (type === 'offer') {
      section.lines = section.lines.map((l) => (l.startsWith('a=setup:') ? 'a=setup:actpass' : l));
    }
  }
  if (lite && !text.session.includes('a=ice-lite')) {
    // After t= (RFC 8866 5: session attributes follow the timing line).
    const t = text.session.findIndex((l) => l.startsWith('t='));
    text.session.splice(t < 0 ? text.session.length : t + 1, 0, 'a=ice-lite');
  }
  return formatSdpText(text);
}
