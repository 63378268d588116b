/** A session's `iceServers`: the static `ICE_SERVERS` plus, with TURN set, its own credential. */
import type { IceServer } from '../../../shared/api.ts';
import { log } from '../log.ts';
import { fetchCloudflareIceServers } from './cloudflare.ts';
import { mintTurnServer } from './credentials.ts';
import { type TurnEnv, turnSettings } from './settings.ts';

/**
 * `statics` unchanged without TURN settings; with coturn settings, a credential minted here;
 * with Cloudflare's, the servers its API returns. A failing Cloudflare API does not fail the
 * session (clients with UDP connect without TURN): it is logged and the statics are returned.
 */
export async function sessionIceServers(
  statics: IceServer[],
  env: TurnEnv,
  sessionId: string,
  options: { nowMs?: number; fetcher?: typeof fetch } = {},
): Promise<IceServer[]> {
  const settings = turnSettings(env);
  if (!settings) return statics;
  if (settings.kind === 'coturn') {
    const nowS = (options.nowMs ?? Date.now()) / 1000;
    return [...statics, await mintTurnServer({ settings, sessionId, nowS })];
  }
  try {
    return [...statics, ...(await fetchCloudflareIceServers(settings, options.fetcher))];
  } catch (error) {
    log('warn', 'turn_credentials_failed', {
      sessionId,
      error: error instanceof Error ? error.message : String(error),
    });
    return statics;
  }
}
