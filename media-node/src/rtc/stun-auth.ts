/**
 * Just enough STUN (RFC 5389 / 8489) to tell an authenticated ICE binding request from anything
 * else before werift sees it. werift 0.25.2 answers every binding request and learns its source
 * as a peer-reflexive candidate without checking MESSAGE-INTEGRITY (PLATFORM-NOTES), so the
 * check is ours: a request is valid when its USERNAME starts with our ufrag and its
 * MESSAGE-INTEGRITY is the HMAC-SHA1 of the message under our ICE password (short-term
 * credentials, RFC 8445 7.2.2).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = 20;
const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
/** MESSAGE-INTEGRITY is an HMAC-SHA1: 20 bytes. */
const INTEGRITY_LENGTH = 20;

/** What a datagram whose first byte says STUN (RFC 7983: 0-3) turned out to be. */
export type StunKind = 'binding_request' | 'other_stun' | 'malformed';

/** True when the first byte puts a datagram in STUN's range (RFC 7983 demultiplexing). */
export function isStunRange(data: Buffer): boolean {
  return data.length > 0 && (data[0] as number) < 4;
}

/** Header checks only: a complete STUN message, and whether it is a binding request. */
export function stunKind(data: Buffer): StunKind {
  if (data.length < HEADER || data.readUInt32BE(4) !== MAGIC_COOKIE) return 'malformed';
  const length = data.readUInt16BE(2);
  if (length % 4 !== 0 || data.length !== HEADER + length) return 'malformed';
  return data.readUInt16BE(0) === BINDING_REQUEST ? 'binding_request' : 'other_stun';
}

/** The ICE credentials a binding request must carry; `password` is looked up by ufrag. */
export interface IceCredentials {
  /** Our current username fragment. */
  ufrag: string;
  /** Our password for `ufrag` (older ufrags after an ICE restart may still be answered). */
  passwordFor(ufrag: string): string | undefined;
}

/**
 * True when `data` (a complete binding request, see {@link stunKind}) is authenticated for
 * `credentials`: USERNAME `<our ufrag>:<theirs>` and a MESSAGE-INTEGRITY that verifies.
 */
export function isAuthenticatedBinding(data: Buffer, credentials: IceCredentials): boolean {
  let ufrag: string | undefined;
  for (let pos = HEADER; pos + 4 <= data.length; ) {
    const type = data.readUInt16BE(pos);
    const length = data.readUInt16BE(pos + 2);
    const value = pos + 4;
    if (value + length > data.length) return false;
    if (type === ATTR_USERNAME) {
      const username = data.toString('utf8', value, value + length);
      const colon = username.indexOf(':');
      if (colon <= 0) return false;
      ufrag = username.slice(0, colon);
    } else if (type === ATTR_MESSAGE_INTEGRITY) {
      if (length !== INTEGRITY_LENGTH || ufrag === undefined) return false;
      const password = credentials.passwordFor(ufrag);
      if (password === undefined) return false;
      // The HMAC covers the message up to this attribute, with the header's length field
      // counting up to the end of MESSAGE-INTEGRITY (RFC 8489 14.5).
      const covered = Buffer.from(data.subarray(0, pos));
      covered.writeUInt16BE(pos + 4 + INTEGRITY_LENGTH - HEADER, 2);
      const expected = createHmac('sha1', password).update(covered).digest();
      return timingSafeEqual(expected, data.subarray(value, value + INTEGRITY_LENGTH));
    }
    pos = value + length + ((4 - (length % 4)) % 4);
  }
  return false;
}
