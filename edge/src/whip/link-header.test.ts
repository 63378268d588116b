import { describe, expect, it } from 'vitest';
import { iceServerLinks } from './link-header.ts';

describe('iceServerLinks (RFC 9725 section 4.6)', () => {
  it('one Link per URL; TURN with username, credential and credential-type', () => {
    expect(
      iceServerLinks([
        { urls: 'stun:stun.example.net' },
        {
          urls: ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp'],
          username: '1796409566:abc',
          credential: 'q+/w==',
        },
      ]),
    ).toEqual([
      '<stun:stun.example.net>; rel="ice-server"',
      '<turn:127.0.0.1:3478?transport=udp>; rel="ice-server"; username="1796409566:abc"; credential="q+/w=="; credential-type="password"',
      '<turn:127.0.0.1:3478?transport=tcp>; rel="ice-server"; username="1796409566:abc"; credential="q+/w=="; credential-type="password"',
    ]);
  });

  it('escapes quotes in parameters and skips URLs that would break the header', () => {
    expect(
      iceServerLinks([
        {
          urls: ['turn:a>b', 'turn:x\r\nSet-Cookie: y', 'turn:ok'],
          username: 'u"1',
          credential: 'c\\',
        },
      ]),
    ).toEqual([
      '<turn:ok>; rel="ice-server"; username="u\\"1"; credential="c\\\\"; credential-type="password"',
    ]);
  });
});
