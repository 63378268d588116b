import { describe, expect, it } from 'vitest';
import { classes, Message, methods } from 'werift';
import { isAuthenticatedBinding, isStunRange, stunKind } from './stun-auth.ts';

const credentials = {
  ufrag: 'node',
  passwordFor: (ufrag: string) => (ufrag === 'node' ? 'node-password-0123456789' : undefined),
};

/** A binding request as werift's own agent builds it (MESSAGE-INTEGRITY then FINGERPRINT). */
function binding(username: string, password: string): Buffer {
  const m = new Message(methods.BINDING, classes.REQUEST);
  m.setAttribute('USERNAME', username).setAttribute('PRIORITY', 1234);
  m.addMessageIntegrity(Buffer.from(password, 'utf8'));
  m.addFingerprint();
  return m.bytes;
}

describe('stun-auth', () => {
  it('accepts a binding request signed with our password for our ufrag', () => {
    const data = binding('node:peer', 'node-password-0123456789');
    expect(isStunRange(data)).toBe(true);
    expect(stunKind(data)).toBe('binding_request');
    expect(isAuthenticatedBinding(data, credentials)).toBe(true);
  });

  it('refuses a wrong password, another ufrag, a tampered body and a missing integrity', () => {
    expect(isAuthenticatedBinding(binding('node:peer', 'guess'), credentials)).toBe(false);
    expect(
      isAuthenticatedBinding(binding('other:peer', 'node-password-0123456789'), credentials),
    ).toBe(false);
    const tampered = binding('node:peer', 'node-password-0123456789');
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 40) ^ 1, tampered.length - 40);
    expect(isAuthenticatedBinding(tampered, credentials)).toBe(false);
    const bare = new Message(methods.BINDING, classes.REQUEST).setAttribute('USERNAME', 'node:p');
    expect(isAuthenticatedBinding(bare.bytes, credentials)).toBe(false);
  });

  it('classifies by RFC 7983 first byte and STUN header', () => {
    expect(isStunRange(Buffer.from([22, 0xfe, 0xfd]))).toBe(false);
    expect(isStunRange(Buffer.from([0x80, 0x60]))).toBe(false);
    expect(stunKind(Buffer.alloc(10))).toBe('malformed');
    const response = new Message(methods.BINDING, classes.RESPONSE).bytes;
    expect(stunKind(response)).toBe('other_stun');
    expect(stunKind(Buffer.concat([response, Buffer.alloc(4)]))).toBe('malformed');
  });
});
