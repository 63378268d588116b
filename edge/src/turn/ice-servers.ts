/** A session's `iceServers`: the static `ICE_SERVERS` plus, with TURN set, its own credential. */
import type { IceServer } from '../../../shared/api.ts';
import { mintTurnServer } from './credentials.ts';
import { type TurnEnv, turnSettings } from './settings.ts';

/** `statics` unchanged without TURN settings; with them, a fresh TURN entry appended. */
export async function sessionIceServers(
  statics: IceServer[],
  env: TurnEnv,
  sessionId: string,
  nowMs: number = Date.now(),
): Promise<IceServer[]> {
  const settings = turnSettings(env);
  if (!settings) return statics;
  return [...statics, await mintTurnServer({ settings, sessionId, nowS: nowMs / 1000 })];
}
