/**
 * TURN for `npm start`: the operator's own `TURN_URLS` when the settings name one; otherwise a
 * loopback coturn with a fresh secret when the Debian package is installed; otherwise none.
 * Never fatal: a stack without TURN still serves every client that can reach the nodes directly.
 */
import type { Child } from './child.ts';
import { coturnInstalled, newTurnSecret, startCoturn, TURNSERVER } from './coturn.ts';

/** coturn's standard port, UDP and TCP. */
export const LOCAL_TURN_PORT = 3478;
/** Relay ports of the local coturn (a few dozen calls). */
export const LOCAL_TURN_RELAY_PORTS: [number, number] = [49_160, 49_200];

export interface LocalTurn {
  /** The coturn process, when this stack started one. */
  child: Child | undefined;
  /** Edge vars to add (`TURN_URLS`, `TURN_SECRET`), empty when none were generated. */
  vars: Record<string, string>;
  /** One line for the start-up summary (never the secret of the operator's own TURN). */
  summary: string;
  /** The generated secret, printed like the tokens (local, loopback only). */
  secret: string | undefined;
}

export async function startLocalTurn(o: {
  settings: Record<string, string>;
  host: string;
  workDir: string;
  log: 'inherit' | { file: string };
}): Promise<LocalTurn> {
  const own = o.settings.TURN_URLS?.trim();
  if (own)
    return { child: undefined, vars: {}, summary: `${own} (from the settings)`, secret: undefined };
  if (!coturnInstalled()) {
    return {
      child: undefined,
      vars: {},
      summary: `off (${TURNSERVER} not found: apt-get install coturn for a local TURN server)`,
      secret: undefined,
    };
  }
  try {
    const coturn = await startCoturn({
      host: o.host,
      port: LOCAL_TURN_PORT,
      relayPorts: LOCAL_TURN_RELAY_PORTS,
      secret: newTurnSecret(),
      workDir: o.workDir,
      log: o.log,
    });
    return {
      child: coturn.child,
      vars: { TURN_URLS: coturn.urls.join(','), TURN_SECRET: coturn.secret },
      summary: `${coturn.urls.join(', ')} (coturn, pid ${coturn.child.pid})`,
      secret: coturn.secret,
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      child: undefined,
      vars: {},
      summary: `off (coturn did not start: ${why})`,
      secret: undefined,
    };
  }
}
