/**
 * The client's ICE credentials in an offer, and what a re-offer on an existing session does with
 * them (RFC 8839 4.4.1.1.1 / RFC 8445 9): the same ufrag and password keep the ICE session; a new
 * ufrag *and* a new password restart it (the client moved networks: new addresses, new checks);
 * anything else is refused before werift sees it, since werift would restart on any change and
 * an offer replayed with an earlier generation's credentials must not take the session back.
 */
import { MediaError } from '../../../../shared/errors.ts';

export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

/** Earlier remote ufrags a session remembers to refuse their reuse (one per restart). */
export const PAST_UFRAGS_KEPT = 16;

const refuse = (message: string): MediaError =>
  new MediaError('invalid_request', message, { field: 'sdp' });

/**
 * The ICE credentials of `sdp`: those of its first media section in use (session-level lines
 * count for a section without its own). With max-bundle that section's transport is the one
 * werift keeps; a client that gives every section its own credentials (no bundle) is not
 * refused for it. Throws `400 invalid_request` when that section has none.
 */
export function iceCredentialsOf(sdp: string): IceCredentials {
  const [session = '', ...sections] = sdp.split(/\r?\n(?=m=)/);
  const sessionUfrag = /^a=ice-ufrag:(\S+)/m.exec(session)?.[1];
  const sessionPwd = /^a=ice-pwd:(\S+)/m.exec(session)?.[1];
  const section = sections.find((s) => !/^m=\S+ 0 /.test(s)); // port 0: rejected, no transport
  if (section === undefined) throw refuse('offer has no media section in use');
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(section)?.[1] ?? sessionUfrag;
  const pwd = /^a=ice-pwd:(\S+)/m.exec(section)?.[1] ?? sessionPwd;
  if (!ufrag || !pwd) throw refuse('the first media section needs ice-ufrag and ice-pwd');
  return { ufrag, pwd };
}

/**
 * What `next` (a re-offer's credentials) means for a session whose client uses `current` and
 * used `past` before: `same` or `restart`; throws `400 invalid_request` for half a change or the
 * reuse of an earlier generation's ufrag.
 */
export function reofferKind(
  current: IceCredentials,
  past: readonly string[],
  next: IceCredentials,
): 'same' | 'restart' {
  const sameUfrag = next.ufrag === current.ufrag;
  const samePwd = next.pwd === current.pwd;
  if (sameUfrag && samePwd) return 'same';
  if (sameUfrag || samePwd) {
    throw refuse('an ICE restart changes both ice-ufrag and ice-pwd (RFC 8839)');
  }
  if (past.includes(next.ufrag)) {
    throw refuse(
      'ice-ufrag of an earlier ICE generation of this session: restart with new credentials',
    );
  }
  return 'restart';
}
