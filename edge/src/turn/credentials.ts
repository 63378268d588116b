/**
 * Per-session TURN credentials in the TURN REST scheme that coturn implements
 * (`use-auth-secret` + `static-auth-secret`, draft-uberti-behave-turn-rest):
 * username `<unix-expiry>:<sessionId>`, credential `base64(HMAC-SHA1(secret, username))`.
 * coturn recomputes the HMAC and refuses a username whose timestamp is in the past, on the
 * Allocate, and caps the allocation's lifetime at that timestamp (`max_session_time_auth`): the
 * expiry ends a relayed call, so it is not bounded by the session's connect deadline
 * (`expiresAt`, 60 s by default), which would cut every relayed call after a minute.
 * WebCrypto only: runs in the Worker and in Node alike.
 */
import type { IceServer } from '../../../shared/api.ts';
import type { CoturnSettings } from './settings.ts';

export interface MintInput {
  settings: CoturnSettings;
  sessionId: string;
  /** Now, in unix seconds. */
  nowS: number;
}

/** base64 of HMAC-SHA1(secret, message). */
export async function hmacSha1Base64(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(secret),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(message)));
  let bin = '';
  for (const b of mac) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The TURN entry of a session's `iceServers`. */
export async function mintTurnServer(input: MintInput): Promise<IceServer> {
  const { settings, sessionId, nowS } = input;
  const expiry = Math.floor(nowS) + settings.ttlS;
  const username = `${expiry}:${sessionId}`;
  return {
    urls: settings.urls,
    username,
    credential: await hmacSha1Base64(settings.secret, username),
  };
}
