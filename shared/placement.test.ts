import { describe, expect, it } from 'vitest';
import { greatCircleKm } from './geo.ts';
import {
  type ClientLocation,
  inRegion,
  type PlacementCandidate,
  pickNode,
  placeInRoom,
} from './placement.ts';

const FRANKFURT = { lat: 50.1109, lon: 8.6821 };
const PARIS = { lat: 48.8566, lon: 2.3522 };
const VIRGINIA = { lat: 38.9072, lon: -77.0369 };
const SYDNEY = { lat: -33.8688, lon: 151.2093 };

const node = (
  id: string,
  at: { lat: number; lon: number } | null,
  sessions = 0,
  over: Partial<PlacementCandidate> = {},
): PlacementCandidate => ({
  id,
  state: 'ready',
  region: 'r',
  ...(at ? { latitude: at.lat, longitude: at.lon } : {}),
  load: { sessions, maxSessions: 10 },
  ...over,
});
const near = (p: { lat: number; lon: number }, region?: string): ClientLocation => ({
  lat: p.lat + 0.1,
  lon: p.lon + 0.1,
  ...(region ? { region } : {}),
});
const NO_SLACK = { slackKm: 0 };

describe('pickNode', () => {
  const fra = node('fra', FRANKFURT, 0, { region: 'eu' });
  const iad = node('iad', VIRGINIA, 0, { region: 'us' });
  const syd = node('syd', SYDNEY, 0, { region: 'ap' });

  it('sends a client to its nearest node, with the distance', () => {
    const result = pickNode([fra, iad, syd], near(SYDNEY), NO_SLACK);
    expect(result).toMatchObject({ ok: true, node: { id: 'syd' }, match: 'nearest' });
    if (!result.ok) throw new Error('refused');
    expect(result.distanceKm).toBeCloseTo(greatCircleKm(near(SYDNEY), SYDNEY), 6);
    expect(pickNode([fra, iad, syd], near(VIRGINIA), NO_SLACK)).toMatchObject({
      node: { id: 'iad' },
    });
  });

  it("is 'region' when the chosen node is in the client's known region", () => {
    expect(pickNode([fra, iad, syd], near(FRANKFURT, 'EU'), NO_SLACK)).toMatchObject({
      node: { id: 'fra' },
      match: 'region',
    });
    expect(inRegion('eu', 'EU-west')).toBe(true);
    expect(inRegion('eu', 'europe')).toBe(false);
  });

  it("prefers the nearest node to a farther idle one, even against the client's region", () => {
    const busyFra = { ...fra, load: { sessions: 9, maxSessions: 10 } };
    expect(pickNode([busyFra, iad], near(FRANKFURT), NO_SLACK)).toMatchObject({
      node: { id: 'fra' },
    });
    // A region mismatch does not outrank distance: the client is in Frankfurt, whatever it claims.
    expect(pickNode([fra, iad], near(FRANKFURT, 'us'), NO_SLACK)).toMatchObject({
      node: { id: 'fra' },
      match: 'nearest',
    });
  });

  it('goes to the next nearest node when the nearest is full or draining', () => {
    const full = { ...fra, load: { sessions: 10, maxSessions: 10 } };
    const pending = { ...fra, pending: 10 };
    const draining = { ...fra, state: 'draining' as const };
    for (const f of [full, pending, draining]) {
      expect(pickNode([f, iad, syd], near(FRANKFURT, 'eu'), NO_SLACK)).toMatchObject({
        node: { id: 'iad' },
        match: 'nearest',
      });
    }
  });

  it('spreads load among nodes within the slack of the nearest one, ties by id', () => {
    const par = node('par', PARIS, 5);
    const fra3 = node('fra', FRANKFURT, 3);
    const client = near(PARIS);
    // Frankfurt is ~480 km from Paris: outside a 100 km slack, inside a 600 km one.
    expect(pickNode([par, fra3], client, { slackKm: 100 })).toMatchObject({ node: { id: 'par' } });
    expect(pickNode([par, fra3], client, { slackKm: 600 })).toMatchObject({
      node: { id: 'fra' },
      match: 'nearest',
    });
    const tieA = node('b', PARIS, 2);
    const tieB = node('a', PARIS, 2);
    expect(pickNode([tieA, tieB], client, NO_SLACK)).toMatchObject({ node: { id: 'a' } });
    // A negative slack counts as none.
    expect(pickNode([par, fra3], client, { slackKm: -50 })).toMatchObject({ node: { id: 'par' } });
  });

  it('falls back to the least loaded node without a client location', () => {
    const result = pickNode([node('a', FRANKFURT, 5), node('b', SYDNEY, 2)], null, NO_SLACK);
    expect(result).toEqual({
      ok: true,
      node: expect.objectContaining({ id: 'b' }),
      match: 'fallback',
      distanceKm: null,
    });
  });

  it('places on nodes without coordinates (fallback) only when no located node admits', () => {
    const bare = node('bare', null, 0);
    expect(pickNode([bare, node('fra', FRANKFURT, 8)], near(PARIS), NO_SLACK)).toMatchObject({
      node: { id: 'fra' },
      match: 'nearest',
    });
    expect(pickNode([bare, node('fra', FRANKFURT, 10)], near(PARIS), NO_SLACK)).toEqual({
      ok: true,
      node: bare,
      match: 'fallback',
      distanceKm: null,
    });
    // Invalid coordinates count as none.
    const bad = node('bad', null, 0, { latitude: 100, longitude: 0 });
    expect(pickNode([bad], near(PARIS), NO_SLACK)).toMatchObject({ match: 'fallback' });
  });

  it('refuses with no_media_node without a ready node, capacity_exceeded when all are full', () => {
    expect(pickNode([], near(PARIS), NO_SLACK)).toMatchObject({ ok: false, code: 'no_media_node' });
    expect(pickNode([{ ...fra, state: 'draining' }], near(PARIS), NO_SLACK)).toMatchObject({
      ok: false,
      code: 'no_media_node',
    });
    expect(pickNode([node('a', PARIS, 10), node('b', null, 10)], null, NO_SLACK)).toMatchObject({
      ok: false,
      code: 'capacity_exceeded',
    });
  });

  it('uses the shared load score, worker figures included', () => {
    // Node a: 3 sessions on 10, one worker idle (score 0). Node b: 1 session, no worker figures.
    const workers = [
      { sessions: 3, cpu: 0.5 },
      { sessions: 0, cpu: 0 },
    ];
    const a = node('a', PARIS, 3, { load: { sessions: 3, maxSessions: 10, workers } });
    const b = node('b', PARIS, 1);
    expect(pickNode([b, a], near(PARIS), NO_SLACK)).toMatchObject({ node: { id: 'a' } });
  });
});

describe('placeInRoom', () => {
  const a = node('a', PARIS, 8);
  const b = node('b', FRANKFURT);

  it('keeps a room on its node, from wherever the newcomer is', () => {
    const result = placeInRoom([a, b], 'a', near(SYDNEY), NO_SLACK);
    expect(result).toMatchObject({ ok: true, node: { id: 'a' }, match: 'room' });
    if (!result.ok) throw new Error('refused');
    expect(result.distanceKm).toBeGreaterThan(16_000);
    expect(placeInRoom([a, b], 'a', null, NO_SLACK)).toMatchObject({ distanceKm: null });
  });

  it('refuses newcomers while the room node drains or is full, instead of splitting the room', () => {
    expect(placeInRoom([{ ...a, state: 'draining' }, b], 'a', null, NO_SLACK)).toMatchObject({
      ok: false,
      code: 'draining',
    });
    expect(placeInRoom([{ ...a, pending: 2 }, b], 'a', null, NO_SLACK)).toMatchObject({
      ok: false,
      code: 'capacity_exceeded',
    });
  });

  it('starts over where placement says when the room node is gone or stopped', () => {
    expect(placeInRoom([a, b], 'gone', near(FRANKFURT), NO_SLACK)).toMatchObject({
      node: { id: 'b' },
      match: 'nearest',
    });
    expect(placeInRoom([{ ...a, state: 'stopped' }, b], 'a', null, NO_SLACK)).toMatchObject({
      node: { id: 'b' },
      match: 'fallback',
    });
    expect(placeInRoom([a, b], undefined, near(PARIS), NO_SLACK)).toMatchObject({
      node: { id: 'a' },
    });
  });
});
