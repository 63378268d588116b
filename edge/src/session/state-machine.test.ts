import { describe, expect, it } from 'vitest';
import { acceptsSignaling, endStateFor, isTerminal, transition } from './state-machine.ts';

describe('session state machine', () => {
  it('new -> negotiating -> connected, offers allowed again while connected', () => {
    expect(transition('new', { kind: 'offer' })).toEqual({
      ok: true,
      state: 'negotiating',
      changed: true,
    });
    expect(transition('negotiating', { kind: 'offer' })).toMatchObject({
      state: 'negotiating',
      changed: false,
    });
    expect(transition('negotiating', { kind: 'connected' })).toMatchObject({
      state: 'connected',
      changed: true,
    });
    expect(transition('connected', { kind: 'offer' })).toMatchObject({
      ok: true,
      state: 'connected',
    });
    expect(transition('connected', { kind: 'connected' })).toMatchObject({ changed: false });
  });

  it('connected needs an offer first; ended sessions accept nothing', () => {
    expect(transition('new', { kind: 'connected' }).ok).toBe(false);
    for (const state of ['closed', 'failed'] as const) {
      expect(transition(state, { kind: 'offer' })).toEqual({
        ok: false,
        message: `session is ${state}`,
      });
      expect(transition(state, { kind: 'fail', reason: 'node_lost' }).ok).toBe(false);
    }
  });

  it('ends as closed for client/admin reasons and failed for the rest', () => {
    expect(transition('new', { kind: 'close', reason: 'closed_by_client' })).toMatchObject({
      state: 'closed',
    });
    expect(transition('connected', { kind: 'fail', reason: 'node_lost' })).toMatchObject({
      state: 'failed',
      reason: 'node_lost',
    });
    expect(endStateFor('closed_by_admin')).toBe('closed');
    expect(endStateFor('idle')).toBe('failed');
    expect(isTerminal('failed') && !isTerminal('connected')).toBe(true);
    expect([
      acceptsSignaling('new'),
      acceptsSignaling('negotiating'),
      acceptsSignaling('closed'),
    ]).toEqual([false, true, false]);
  });
});
