/**
 * Sessions the signaling routes need before they can be loaded: a reader's sessions (get, list),
 * and a pool in `negotiating` for trickle ICE (the fake node answers their offers). Each
 * session accepts `MAX_ICE_CANDIDATES` (50) candidates, so the pool bounds the candidate run.
 */
import { API_BASE } from '../../shared/api.ts';
import { runPool } from '../lib/pool.ts';

const OFFER_SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

async function call(url: string, token: string, method: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Creates `count` sessions for the token's device; `offer` moves each to `negotiating`. */
export async function seedSessions(
  edgeUrl: string,
  token: string,
  count: number,
  offer: boolean,
): Promise<string[]> {
  return runPool(count, 20, async () => {
    const created = (await call(`${edgeUrl}${API_BASE}/sessions`, token, 'POST', {})) as {
      sessionId: string;
    };
    if (offer) {
      await call(`${edgeUrl}${API_BASE}/sessions/${created.sessionId}/offer`, token, 'POST', {
        sdp: OFFER_SDP,
      });
    }
    return created.sessionId;
  });
}
