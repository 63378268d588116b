/**
 * Cloudflare's TURN service (Realtime TURN): the edge asks its credential API for each session,
 * `POST https://rtc.live.cloudflare.com/v1/turn/keys/<key id>/credentials/generate-ice-servers`
 * with the key's API token as a bearer token and `{ttl}`; the `201` answer's `iceServers` go to
 * the client as they are. Configured with `TURN_URLS=cloudflare:<key id>`, `TURN_SECRET=<API
 * token>`, `TURN_TTL_S`.
 */
import type { IceServer } from '../../../shared/api.ts';
import type { CloudflareTurnSettings } from './settings.ts';

export const CLOUDFLARE_TURN_API = 'https://rtc.live.cloudflare.com/v1/turn/keys';
/** The edge will not hold a session creation longer than this for TURN credentials, in ms. */
const CLOUDFLARE_TIMEOUT_MS = 2_000;
const MAX_SERVERS = 8;

/** The request the edge makes (pure: built here, sent by {@link fetchCloudflareIceServers}). */
export function cloudflareTurnRequest(settings: CloudflareTurnSettings): Request {
  return new Request(`${CLOUDFLARE_TURN_API}/${settings.keyId}/credentials/generate-ice-servers`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${settings.apiToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ttl: settings.ttlS }),
  });
}

function isIceServer(v: unknown): v is IceServer {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const urls = Array.isArray(s.urls) ? s.urls : [s.urls];
  return (
    urls.length > 0 &&
    urls.every((u) => typeof u === 'string' && /^(stun|turns?):/.test(u)) &&
    (s.username === undefined || typeof s.username === 'string') &&
    (s.credential === undefined || typeof s.credential === 'string')
  );
}

/** The `iceServers` of the API's answer; throws on anything else (never passed on unchecked). */
export function parseCloudflareIceServers(body: unknown): IceServer[] {
  const servers = (body as { iceServers?: unknown } | null)?.iceServers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.length > MAX_SERVERS) {
    throw new Error('Cloudflare TURN: the answer has no iceServers array');
  }
  if (!servers.every(isIceServer)) throw new Error('Cloudflare TURN: malformed iceServers entry');
  return servers.map((s) => ({
    urls: s.urls,
    ...(s.username === undefined ? {} : { username: s.username }),
    ...(s.credential === undefined ? {} : { credential: s.credential }),
  }));
}

/** Asks the API; throws with the status on a refusal or a timeout. */
export async function fetchCloudflareIceServers(
  settings: CloudflareTurnSettings,
  fetcher: typeof fetch = fetch,
): Promise<IceServer[]> {
  const res = await fetcher(cloudflareTurnRequest(settings), {
    signal: AbortSignal.timeout(CLOUDFLARE_TIMEOUT_MS),
  });
  if (res.status !== 201 && res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`Cloudflare TURN: credential API answered ${res.status}`);
  }
  return parseCloudflareIceServers(await res.json());
}
