/**
 * Issue 15 across real processes: workerd and three media nodes with regions eu / us / ap and
 * their coordinates, clients located by `x-client-location` (TRUST_LOCATION_HEADER is set, as a
 * local stack may). Each client lands on its nearest node; a room stays where its first member
 * put it; with the nearest node draining, clients go to the next nearest (and nothing lands on
 * the draining node after the directory's max age); a node killed with SIGKILL fails its
 * sessions with node_lost and new joins go elsewhere. No media: only one offer, to keep a node
 * draining.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mapBounded } from '../edge/src/bounded.ts';
import type { CreateSessionResponse, SessionView } from '../shared/api.ts';
import { createLoopbackPeer, waitForGathering } from './support/loopback-peer.ts';
import { parseMetrics } from './support/prometheus.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const MAX_AGE_MS = 500;
const REGIONS = {
  eu: { REGION: 'eu-central', LATITUDE: '50.11', LONGITUDE: '8.68' }, // Frankfurt
  us: { REGION: 'us-east', LATITUDE: '40.71', LONGITUDE: '-74.01' }, // New York
  ap: { REGION: 'ap-southeast', LATITUDE: '1.35', LONGITUDE: '103.82' }, // Singapore
} as const;
type Region = keyof typeof REGIONS;
/** Cities nearer their region's node than any other node. */
const NEAR: Record<Region, Array<[number, number]>> = {
  eu: [
    [48.86, 2.35],
    [51.51, -0.13],
    [52.37, 4.9],
    [48.14, 11.58],
    [45.46, 9.19],
  ],
  us: [
    [42.36, -71.06],
    [39.95, -75.17],
    [38.91, -77.04],
    [43.65, -79.38],
    [41.88, -87.63],
  ],
  ap: [
    [3.14, 101.69],
    [-6.2, 106.85],
    [13.76, 100.5],
    [10.82, 106.63],
    [14.6, 120.98],
  ],
};
const ORDER: Region[] = ['eu', 'us', 'ap'];

let stack: TestStack;
let admin: string;
const nodeOf = (region: Region) => stack.nodes[ORDER.indexOf(region)]!;

/** The i-th client near `region`: one of its cities, moved a little so no two are alike. */
function near(region: Region, i: number): string {
  const [lat, lon] = NEAR[region][i % NEAR[region].length]!;
  return `${(lat + (i % 7) * 0.05).toFixed(3)},${(lon - (i % 5) * 0.05).toFixed(3)}`;
}

async function create(device: string, location: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${stack.edgeUrl}/api/media/sessions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await stack.token({ device })}`,
      'content-type': 'application/json',
      'x-client-location': location,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as CreateSessionResponse };
}

async function placed(device: string, location: string, body: Record<string, unknown> = {}) {
  const r = await create(device, location, body);
  if (r.status !== 201) throw new Error(`create ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function adminGet(path: string): Promise<Response> {
  return fetch(`${stack.edgeUrl}/api/media${path}`, {
    headers: { authorization: `Bearer ${admin}` },
  });
}

async function placements(match: string): Promise<number> {
  const families = parseMetrics(await (await adminGet('/metrics')).text());
  const series = families.get('media_edge_placements_total')?.samples ?? [];
  return series.find((s) => s.labels.match === match)?.value ?? 0;
}

async function view(device: string, id: string): Promise<SessionView> {
  const res = await fetch(`${stack.edgeUrl}/api/media/sessions/${id}`, {
    headers: { authorization: `Bearer ${await stack.token({ device })}` },
  });
  return (await res.json()) as SessionView;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  stack = await startTestStack({
    nodes: 3,
    // Heartbeats every 500 ms and a 2 s timeout: a killed node is lost within seconds.
    nodeEnv: { HEARTBEAT_INTERVAL_MS: '500', CONNECT_TIMEOUT_MS: '60000' },
    nodeEnvs: ORDER.map((r) => ({ ...REGIONS[r], DRAIN_TIMEOUT_MS: '60000' })),
    edgeVars: {
      TRUST_LOCATION_HEADER: '1',
      NODE_DIRECTORY_MAX_AGE_MS: String(MAX_AGE_MS),
      HEARTBEAT_TIMEOUT_MS: '2000',
    },
  });
  admin = await stack.token({ device: 'placement-admin', admin: true });
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail());
});

afterAll(async () => {
  await stack?.teardown();
});

describe('placement by location, three regions', () => {
  it('50 clients near each node each land on that node (match region)', async () => {
    const before = await placements('region');
    const clients = ORDER.flatMap((region) =>
      Array.from({ length: 50 }, (_, i) => ({ region, i })),
    );
    const results = await mapBounded(clients, 10, async ({ region, i }) => ({
      region,
      session: await placed(`near-${region}-${i}`, near(region, i)),
    }));
    for (const { region, session } of results) {
      expect(session.node.id).toBe(nodeOf(region).id);
      expect(session.node.region).toBe(REGIONS[region].REGION);
      expect(session.node.distanceKm).toBeLessThan(2_500);
    }
    expect((await placements('region')) - before).toBe(150);
  });

  it('a room stays on the node of its first member when later members come from elsewhere', async () => {
    const room = 'singapore-standup';
    const first = await placed('room-ap', near('ap', 0), { room });
    expect(first.node.id).toBe(nodeOf('ap').id);
    for (const region of ['eu', 'us'] as const) {
      const later = await placed(`room-${region}`, near(region, 1), { room });
      expect(later.node.id).toBe(nodeOf('ap').id);
      expect(later.node.distanceKm).toBeGreaterThan(9_000);
    }
  });

  it('with its nearest node draining, a client goes to the next nearest, and after the max age nothing lands on the draining node', async () => {
    const eu = nodeOf('eu');
    // One offered session keeps the eu node draining (not gone) for the whole test.
    const holder = await placed('drain-holder', near('eu', 2), { room: 'frankfurt-room' });
    expect(holder.node.id).toBe(eu.id);
    const pc = createLoopbackPeer();
    try {
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc);
      const offer = await fetch(`${stack.edgeUrl}${holder.links.offer}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await stack.token({ device: 'drain-holder' })}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ sdp: pc.localDescription?.sdp }),
      });
      expect(offer.status).toBe(200);
    } finally {
      await pc.close();
    }
    eu.child.signal('SIGTERM');
    await until(
      'eu reported draining',
      async () => {
        const { nodes } = (await (await adminGet('/nodes')).json()) as {
          nodes: Array<{ id: string; state: string }>;
        };
        return nodes.find((n) => n.id === eu.id)?.state === 'draining';
      },
      10_000,
    );
    await new Promise((r) => setTimeout(r, MAX_AGE_MS + 200));
    const nearestBefore = await placements('nearest');
    for (let i = 0; i < 20; i++) {
      const s = await placed(`drained-eu-${i}`, near('eu', i));
      expect(s.node.id).toBe(nodeOf('us').id);
    }
    expect((await placements('nearest')) - nearestBefore).toBe(20);
    // The room on the draining node refuses newcomers rather than splitting.
    const refused = await create('late-joiner', near('eu', 3), { room: 'frankfurt-room' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'draining' } });
    // Ending its last session lets the node finish draining and exit.
    const closed = await fetch(`${stack.edgeUrl}/api/media/sessions/${holder.sessionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await stack.token({ device: 'drain-holder' })}` },
    });
    expect(closed.status).toBe(204);
    expect((await eu.child.exited).code).toBe(0);
  });

  it('kill -9 of a node: its sessions fail node_lost, new joins go elsewhere', async () => {
    const ap = nodeOf('ap');
    const victims = await Promise.all([0, 1, 2].map((i) => placed(`victim-${i}`, near('ap', i))));
    for (const v of victims) expect(v.node.id).toBe(ap.id);
    ap.child.signal('SIGKILL');
    expect((await ap.child.exited).signal).toBe('SIGKILL');
    await until(
      'node_lost on every session of the killed node',
      async () => {
        const views = await Promise.all(victims.map((v, i) => view(`victim-${i}`, v.sessionId)));
        return views.every((v) => v.state === 'failed' && v.reason === 'node_lost');
      },
      15_000,
    );
    // eu has drained away, ap is dead: Singapore's clients go to New York.
    const again = await placed('victim-0', near('ap', 0));
    expect(again.node.id).toBe(nodeOf('us').id);
  });
});
