/**
 * A line-level view of an SDP: the session part and one section per `m=` line, each a list of
 * lines without their CRLF. werift parses and builds the full description; this is only for the
 * few rewrites the node makes on the text around it (remote-offer.ts, wire-sdp.ts), where a
 * round trip through werift's model would lose what it does not model (e.g. `a=bundle-only`).
 */

export interface SdpSection {
  /** `audio`, `video`, `application`, ... */
  kind: string;
  lines: string[];
}

export interface SdpText {
  session: string[];
  media: SdpSection[];
}

export function parseSdpText(sdp: string): SdpText {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const out: SdpText = { session: [], media: [] };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      out.media.push({ kind: line.slice(2, line.indexOf(' ')), lines: [line] });
    } else {
      const current = out.media.at(-1);
      if (current) current.lines.push(line);
      else out.session.push(line);
    }
  }
  return out;
}

export function formatSdpText(sdp: SdpText): string {
  const all = [...sdp.session, ...sdp.media.flatMap((m) => m.lines)];
  return `${all.join('\r\n')}\r\n`;
}

/** The fields of `m=<kind> <port> <proto> <fmt...>`. */
export function mLine(section: SdpSection): { port: number; proto: string; fmts: string[] } {
  const [, port = '0', proto = '', ...fmts] = (section.lines[0] ?? '').split(' ');
  return { port: Number(port), proto, fmts };
}

export function setMLine(section: SdpSection, port: number, fmts: string[]): void {
  const { proto } = mLine(section);
  section.lines[0] = `m=${section.kind} ${port} ${proto} ${fmts.join(' ')}`;
}

/** Values of `a=<name>:...` (or `a=<name>` flags, as '') in `lines`. */
export function attributes(lines: readonly string[], name: string): string[] {
  const prefix = `a=${name}`;
  const out: string[] = [];
  for (const line of lines) {
    if (line === prefix) out.push('');
    else if (line.startsWith(`${prefix}:`)) out.push(line.slice(prefix.length + 1));
  }
  return out;
}

export function hasAttribute(lines: readonly string[], name: string): boolean {
  return attributes(lines, name).length > 0;
}

export function mid(section: SdpSection): string | undefined {
  return attributes(section.lines, 'mid')[0];
}

/** The mids of the first `a=group:BUNDLE` of the session part (empty when there is none). */
export function bundleGroup(sdp: SdpText): string[] {
  const group = attributes(sdp.session, 'group').find((g) => g.startsWith('BUNDLE'));
  return group ? group.split(' ').slice(1) : [];
}
