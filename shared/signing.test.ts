import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveNodeKey,
  fromNode,
  NONCE_HEADER,
  ReplayGuard,
  SIGNATURE_HEADER,
  signRequest,
  TIMESTAMP_HEADER,
  toNode,
  verifyRequest,
} from './signing.ts';

const secret = 'test-secret';
const req = {
  method: 'POST',
  path: '/internal/v1/sessions/s1/offer',
  body: '{"sdp":"v=0"}',
  party: toNode('node-a'),
};
const now = 1_700_000_000_000;

describe('request signing', () => {
  it('accepts a request signed with the same secret', async () => {
    const headers = await signRequest(secret, req, now);
    expect(await verifyRequest(secret, req, headers, { now })).toEqual({ ok: true });
    expect(await verifyRequest(secret, req, new Headers(headers), { now })).toEqual({ ok: true });
  });

  it('refuses a missing, malformed, tampered, foreign or stale signature', async () => {
    const headers = await signRequest(secret, req, now);
    expect(await verifyRequest(secret, req, {}, { now })).toEqual({
      ok: false,
      reason: 'missing_headers',
    });
    expect(
      await verifyRequest(secret, req, { ...headers, [SIGNATURE_HEADER]: 'v1=zz' }, { now }),
    ).toEqual({ ok: false, reason: 'malformed' });
    expect(
      await verifyRequest(secret, { ...req, body: '{"sdp":"v=1"}' }, headers, { now }),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyRequest(secret, { ...req, path: '/other' }, headers, { now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyRequest('other-secret', req, headers, { now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyRequest(secret, req, { ...headers, [NONCE_HEADER]: 'n2' }, { now })).toEqual(
      { ok: false, reason: 'bad_signature' },
    );
    expect(await verifyRequest(secret, req, headers, { now: now + 31_000 })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(
      await verifyRequest(
        secret,
        req,
        { ...headers, [TIMESTAMP_HEADER]: String(now + 1) },
        { now },
      ),
    ).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a replay inside the window when a guard is given', async () => {
    const guard = new ReplayGuard();
    const headers = await signRequest(secret, req, now);
    expect(await verifyRequest(secret, req, headers, { now, replayGuard: guard })).toEqual({
      ok: true,
    });
    expect(await verifyRequest(secret, req, headers, { now, replayGuard: guard })).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });
});

describe('per-node keys and parties', () => {
  it('derives a distinct key per node, equal to HMAC(master, "node:" + id) in Node', async () => {
    const a = await deriveNodeKey('master-secret', 'node-a');
    expect(a).toBe(createHmac('sha256', 'master-secret').update('node:node-a').digest('hex'));
    expect(await deriveNodeKey('master-secret', 'node-b')).not.toBe(a);
    expect(await deriveNodeKey('other-master', 'node-a')).not.toBe(a);
  });

  it('refuses a request replayed on another node or in the other direction', async () => {
    const headers = await signRequest(secret, req, now);
    for (const party of [toNode('node-b'), fromNode('node-a')]) {
      expect(await verifyRequest(secret, { ...req, party }, headers, { now })).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  it('refuses timestamps below the floor (a capture from before a restart) as replayed', async () => {
    const headers = await signRequest(secret, req, now - 1);
    expect(await verifyRequest(secret, req, headers, { now, notBefore: now })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    const fresh = await signRequest(secret, req, now);
    expect(await verifyRequest(secret, req, fresh, { now, notBefore: now })).toEqual({ ok: true });
  });
});

describe('ReplayGuard', () => {
  it('forgets nonces once their window has passed and stays bounded', () => {
    const guard = new ReplayGuard(1_000, 3);
    expect(guard.remember('a', 0, 0)).toBe(true);
    expect(guard.remember('a', 0, 500)).toBe(false);
    expect(guard.remember('b', 2_000, 2_000)).toBe(true);
    expect(guard.size).toBe(1); // 'a' expired at 1000
    for (const n of ['c', 'd', 'e', 'f']) guard.remember(n, 2_000, 2_000);
    expect(guard.size).toBe(3);
  });
});
