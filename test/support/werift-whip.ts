/**
 * A WHIP publisher built on werift (a loopback-only peer) that can restart ICE the way RFC 9725
 * section 4.3.2 says: a new local offer with `iceRestart`, its new credentials and candidates
 * PATCHed as an sdpfrag with `If-Match`, and the server's sdpfrag answer (new credentials,
 * candidates) applied as the new remote answer. Media: the VP8 + Opus source of the werift
 * participants (media-source.ts). The SDK's werift adapter starts the restarted ICE agent.
 */
import { MediaStreamTrack, type RTCPeerConnection } from 'werift';
import { wrapWeriftPeer } from '../../client/werift-peer.ts';
import { createLoopbackPeer, waitForGathering } from './loopback-peer.ts';
import { MediaSource } from './media-source.ts';

export interface PatchResult {
  status: number;
  etag: string | null;
  body: string;
}

export interface WeriftWhipPublisher {
  pc: RTCPeerConnection;
  source: MediaSource;
  /** The session resource (absolute URL) and its id. */
  resource: string;
  sessionId: string;
  /** performance.now() when the offer was POSTed, and when the 201 arrived. */
  postedAt: number;
  answeredAt: number;
  /** The current ETag (replaced by each successful restart). */
  etag: string;
  /** PATCHes `body` to the resource (sdpfrag) with `If-Match` unless `ifMatch` is null. */
  patch(body: string, ifMatch: string | null): Promise<PatchResult>;
  /**
   * Restarts ICE: new credentials PATCHed with `If-Match: <current ETag>`; on 200 the server's
   * credentials and candidates become the remote answer. Returns the PATCH's result.
   */
  restartIce(): Promise<PatchResult>;
  close(): Promise<void>;
}

const field = (sdp: string, name: string) =>
  new RegExp(`^a=${name}:(\\S+)`, 'm').exec(sdp)?.[1] ?? '';
const lines = (sdp: string) => sdp.split(/\r?\n/).filter((l) => l !== '');

/** The sdpfrag of an offer's ICE session: credentials, then its first (bundled) section's candidates. */
function offerFrag(sdp: string): string {
  const all = lines(sdp);
  const firstM = all.findIndex((l) => l.startsWith('m='));
  const section = all.slice(firstM);
  const next = section.findIndex((l, i) => i > 0 && l.startsWith('m='));
  const first = next < 0 ? section : section.slice(0, next);
  return [
    `a=ice-ufrag:${field(sdp, 'ice-ufrag')}`,
    `a=ice-pwd:${field(sdp, 'ice-pwd')}`,
    first[0] ?? '',
    `a=mid:${field(first.join('\n'), 'mid')}`,
    ...first.filter((l) => l.startsWith('a=candidate:')),
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

/** The remote answer after a restart: the old one with the frag's credentials and candidates. */
function restartedAnswer(previous: string, frag: string): string {
  const ufrag = field(frag, 'ice-ufrag');
  const pwd = field(frag, 'ice-pwd');
  const candidates = lines(frag).filter((l) => l.startsWith('a=candidate:'));
  const out: string[] = [];
  let sections = 0;
  for (const line of lines(previous)) {
    if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
    if (line.startsWith('m=')) sections++;
    if (line.startsWith('a=ice-ufrag:')) out.push(`a=ice-ufrag:${ufrag}`);
    else if (line.startsWith('a=ice-pwd:')) out.push(`a=ice-pwd:${pwd}`);
    else out.push(line);
    // Bundled: the candidates go into the first section, after its mid.
    if (sections === 1 && line.startsWith('a=mid:')) out.push(...candidates, 'a=end-of-candidates');
  }
  return `${out.join('\r\n')}\r\n`;
}

/**
 * Offers from `pc` once its gathering is complete, as one WHIP/WHEP `POST` of application/sdp
 * (`what` names it in errors); closes `pc` and throws unless the answer is a 201.
 */
export async function postSdpOffer(
  pc: RTCPeerConnection,
  url: string,
  token: string,
  what: 'WHIP' | 'WHEP',
): Promise<{ res: Response; answer: string; postedAt: number; answeredAt: number }> {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForGathering(pc);
  const postedAt = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' },
    body: pc.localDescription?.sdp ?? '',
  });
  const answer = await res.text();
  const answeredAt = performance.now();
  if (res.status !== 201) {
    await pc.close();
    throw new Error(`${what} POST ${res.status}: ${answer}`);
  }
  return { res, answer, postedAt, answeredAt };
}

export async function startWeriftWhip(url: string, token: string): Promise<WeriftWhipPublisher> {
  const pc = createLoopbackPeer();
  const peer = wrapWeriftPeer(pc);
  const source = new MediaSource();
  const video = new MediaStreamTrack({ kind: 'video' });
  const audio = new MediaStreamTrack({ kind: 'audio' });
  pc.addTransceiver(video, { direction: 'sendonly' });
  pc.addTransceiver(audio, { direction: 'sendonly' });
  source.use({ audio, video });
  const { res, answer, postedAt, answeredAt } = await postSdpOffer(pc, url, token, 'WHIP');
  await peer.setRemoteDescription({ type: 'answer', sdp: answer });
  source.start();
  const resource = new URL(res.headers.get('location') ?? '', url).toString();
  const patch = async (body: string, ifMatch: string | null): Promise<PatchResult> => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/trickle-ice-sdpfrag',
    };
    if (ifMatch !== null) headers['if-match'] = ifMatch;
    const r = await fetch(resource, { method: 'PATCH', headers, body });
    return { status: r.status, etag: r.headers.get('etag'), body: await r.text() };
  };
  const publisher: WeriftWhipPublisher = {
    pc,
    source,
    resource,
    sessionId: resource.split('/').pop() ?? '',
    postedAt,
    answeredAt,
    etag: res.headers.get('etag') ?? '',
    patch,
    async restartIce() {
      const before = field(pc.localDescription?.sdp ?? '', 'ice-ufrag');
      await peer.setLocalDescription(await peer.createOffer({ iceRestart: true }));
      await waitForGathering(pc);
      const offer = pc.localDescription?.sdp ?? '';
      if (field(offer, 'ice-ufrag') === before) throw new Error('the restart kept the ufrag');
      const result = await patch(offerFrag(offer), publisher.etag);
      if (result.status !== 200) return result;
      const previous = pc.remoteDescription?.sdp ?? '';
      await peer.setRemoteDescription({
        type: 'answer',
        sdp: restartedAnswer(previous, result.body),
      });
      publisher.etag = result.etag ?? '';
      return result;
    },
    async close() {
      source.stop();
      await fetch(resource, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      }).catch(() => {});
      peer.close();
    },
  };
  return publisher;
}
