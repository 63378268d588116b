/**
 * What the node does to a client's offer before werift applies it:
 *
 * - `a=bundle-only` sections (RFC 8843 7.3.3; GStreamer webrtcbin's max-bundle, Firefox's
 *   `bundlePolicy: max-bundle` renegotiations) come with port 0. werift reads port 0 as
 *   "rejected" and answered them inactive and outside the BUNDLE group (silence, no error).
 *   A bundle-only section whose mid is in the BUNDLE group is a live section: it gets the
 *   discard port 9 like any other bundled section.
 * - Formats the node cannot forward unchanged are removed (H.264 without packetization-mode 1,
 *   profiles we do not assume decoders for, and their RTX), so that werift, which matches codecs
 *   by MIME type alone, cannot negotiate one of them.
 * - A section left without a forwardable codec is rejected (port 0, RFC 3264 6; RFC 8843 drops
 *   it from the BUNDLE group) with the reason returned for the log.
 * - An offer whose every audio/video section is rejected and which has no data channel cannot
 *   be served at all: `400 unsupported_codecs`, naming what was offered.
 * - Simulcast attributes are reduced to what werift receives correctly (simulcast-offer.ts).
 * - A header extension id that already means another URI in an earlier section is dropped from
 *   the later one (extmap-conflicts.ts: aiortc's offers do this, and werift then lost its audio).
 */
import { MediaError } from '../../../../shared/errors.ts';
import {
  isAuxiliary,
  type MediaKind,
  type OfferedFormat,
  supportedCodecNames,
  unsupportedBecause,
} from './codec-table.ts';
import { dropConflictingExtmaps } from './extmap-conflicts.ts';
import {
  attributes,
  bundleGroup,
  formatSdpText,
  hasAttribute,
  mid,
  mLine,
  parseSdpText,
  type SdpSection,
  setMLine,
} from './sdp-text.ts';
import { normalizeSimulcast, type SimulcastNote } from './simulcast-offer.ts';

/** A section the node answers with port 0. */
export interface RejectedSection {
  mid: string | undefined;
  kind: string;
  reason: string;
}

/** A codec the client can receive in one of its sections (what subscriptions may use). */
export interface AcceptedCodec {
  kind: MediaKind;
  /** Lower case: `vp8`, `h264`, `opus`, ... */
  name: string;
  clockRate: number;
  fmtp: Map<string, string>;
}

export interface PreparedOffer {
  /** The offer as werift should see it. */
  sdp: string;
  rejected: RejectedSection[];
  /** Forwardable codecs per kind across the accepted sections (from this offer). */
  accepted: AcceptedCodec[];
  /** Header extensions removed because their id meant another URI already (for the log). */
  droppedExtensions: string[];
  /** Simulcast encodings removed from the offer, and why (for the log). */
  simulcast: SimulcastNote[];
}

/** The discard port (RFC 8843 uses it for bundled sections that share the tag's transport). */
const DISCARD_PORT = 9;

/** Rewrites `sdp` (a structurally valid offer) as described above, or throws `unsupported_codecs`. */
export function prepareRemoteOffer(sdp: string): PreparedOffer {
  const text = parseSdpText(sdp);
  const droppedExtensions = dropConflictingExtmaps(text);
  const simulcast = normalizeSimulcast(text);
  const bundle = bundleGroup(text);
  const rejected: RejectedSection[] = [];
  const accepted: AcceptedCodec[] = [];
  const offered = new Set<string>();
  let served = 0;
  for (const section of text.media) {
    const sectionMid = mid(section);
    const { port } = mLine(section);
    const bundleOnly = hasAttribute(section.lines, 'bundle-only');
    if (port === 0 && !(bundleOnly && sectionMid !== undefined && bundle.includes(sectionMid))) {
      continue; // the client itself rejected or stopped it
    }
    if (bundleOnly) {
      section.lines = section.lines.filter((l) => l !== 'a=bundle-only');
      if (port === 0) setMLine(section, DISCARD_PORT, mLine(section).fmts);
    }
    if (section.kind === 'application') {
      served++;
      continue;
    }
    if (section.kind !== 'audio' && section.kind !== 'video') {
      rejectSection(section, text, rejected, `m=${section.kind} is not supported`);
      continue;
    }
    const kind: MediaKind = section.kind;
    const formats = formatsOf(section);
    for (const f of formats) if (!isAuxiliary(f.name)) offered.add(describe(kind, f));
    const reasons: string[] = [];
    const keep = new Set<number>();
    for (const f of formats) {
      if (isAuxiliary(f.name)) continue;
      const why = unsupportedBecause(kind, f);
      if (why) reasons.push(why);
      else {
        keep.add(f.payloadType);
        accepted.push({ kind, name: f.name.toLowerCase(), clockRate: f.clockRate, fmtp: f.fmtp });
      }
    }
    if (keep.size === 0) {
      rejectSection(section, text, rejected, `no codec the node forwards: ${unique(reasons)}`);
      continue;
    }
    // RTX stays when what it repairs stays; RED, FEC, CN and DTMF are not forwarded.
    for (const f of formats) {
      if (f.name.toLowerCase() === 'rtx' && keep.has(Number(f.fmtp.get('apt')))) {
        keep.add(f.payloadType);
      }
    }
    dropFormats(section, keep);
    served++;
  }
  if (served === 0 && rejected.length > 0) {
    throw new MediaError(
      'unsupported_codecs',
      `the offer has no codec this node forwards (offered: ${[...offered].join(', ') || 'none'})`,
      { field: 'sdp', offered: [...offered], supported: supportedCodecNames() },
    );
  }
  return { sdp: formatSdpText(text), rejected, accepted, droppedExtensions, simulcast };
}

function formatsOf(section: SdpSection): OfferedFormat[] {
  const fmtps = new Map<number, Map<string, string>>();
  for (const value of attributes(section.lines, 'fmtp')) {
    const space = value.indexOf(' ');
    fmtps.set(Number(value.slice(0, space)), parseFmtp(value.slice(space + 1)));
  }
  const listed = new Set(mLine(section).fmts.map(Number));
  const out: OfferedFormat[] = [];
  for (const value of attributes(section.lines, 'rtpmap')) {
    const [pt = '', desc = ''] = value.split(' ');
    const [name = '', clock = '0'] = desc.split('/');
    const payloadType = Number(pt);
    if (!listed.has(payloadType)) continue;
    out.push({
      payloadType,
      name,
      clockRate: Number(clock),
      fmtp: fmtps.get(payloadType) ?? new Map(),
    });
  }
  // Static payload types may come without an rtpmap (RFC 3551): 0 PCMU, 8 PCMA.
  for (const pt of listed) {
    if (out.some((f) => f.payloadType === pt)) continue;
    if (pt === 0) out.push({ payloadType: 0, name: 'PCMU', clockRate: 8000, fmtp: new Map() });
    if (pt === 8) out.push({ payloadType: 8, name: 'PCMA', clockRate: 8000, fmtp: new Map() });
  }
  return out;
}

function parseFmtp(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

/** Keeps only the payload types in `keep`: m-line formats and their rtpmap/fmtp/rtcp-fb lines. */
function dropFormats(section: SdpSection, keep: ReadonlySet<number>): void {
  const fmts = mLine(section).fmts.filter((f) => keep.has(Number(f)));
  setMLine(section, mLine(section).port, fmts);
  section.lines = section.lines.filter((line) => {
    const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+) /.exec(line);
    return !m || keep.has(Number(m[2]));
  });
}

/** Port 0 (RFC 3264 6) and out of the BUNDLE group (RFC 8843 7.3.3); werift answers it so. */
function rejectSection(
  section: SdpSection,
  text: { session: string[] },
  rejected: RejectedSection[],
  reason: string,
): void {
  const sectionMid = mid(section);
  setMLine(section, 0, mLine(section).fmts.slice(0, 1));
  section.lines = section.lines.filter((l) => l !== 'a=bundle-only');
  if (sectionMid !== undefined) {
    text.session = text.session.map((line) =>
      line.startsWith('a=group:BUNDLE ')
        ? [
            'a=group:BUNDLE',
            ...line
              .split(' ')
              .slice(1)
              .filter((m) => m !== sectionMid),
          ].join(' ')
        : line,
    );
  }
  rejected.push({ mid: sectionMid, kind: section.kind, reason });
}

/** `video/H264;packetization-mode=0;profile-level-id=64001f`: enough to see why it was refused. */
function describe(kind: MediaKind, f: OfferedFormat): string {
  const name = `${kind}/${f.name}`;
  if (f.name.toLowerCase() !== 'h264') return name;
  const keys = ['packetization-mode', 'profile-level-id'];
  return [name, ...keys.filter((k) => f.fmtp.has(k)).map((k) => `${k}=${f.fmtp.get(k)}`)].join(';');
}

function unique(values: string[]): string {
  return [...new Set(values)].join('; ');
}
