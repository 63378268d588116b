/**
 * coturn for one test file: free ports on 127.0.0.1, a temporary directory, killed by PID and
 * the directory removed by `stop()`. Fails with the Debian package's name when it is missing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COTURN_MISSING,
  type Coturn,
  coturnInstalled,
  newTurnSecret,
  startCoturn,
} from '../../scripts/stack/coturn.ts';
import type { IceServer } from '../../shared/api.ts';
import { freePorts } from './free-port.ts';

/** UDP relay ports per coturn: a few calls at a time need only a few. */
const RELAY_PORTS = 16;

export interface TestCoturn extends Coturn {
  log(): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestCoturn(): Promise<TestCoturn> {
  if (!coturnInstalled()) throw new Error(COTURN_MISSING);
  const workDir = await mkdtemp(join(tmpdir(), 'e2e-coturn-'));
  const logFile = join(workDir, 'coturn.log');
  try {
    const [port] = await freePorts(1);
    // A random range in the upper ephemeral ports; coturn skips a port that is taken.
    const base = 40_000 + Math.floor(Math.random() * 20_000);
    const coturn = await startCoturn({
      host: '127.0.0.1',
      port: port ?? 0,
      relayPorts: [base, base + RELAY_PORTS - 1],
      secret: newTurnSecret(),
      workDir,
      log: { file: logFile },
    });
    return {
      ...coturn,
      log: () => readFile(logFile, 'utf8').catch(() => ''),
      stop: async () => {
        try {
          await coturn.child.stop('SIGTERM', 3_000);
        } finally {
          await rm(workDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** The session's TURN entry reduced to its url for one transport (werift uses one url). */
export function turnFor(servers: IceServer[], transport: 'udp' | 'tcp'): IceServer[] {
  const turn = servers.find((s) => s.username !== undefined);
  if (!turn) throw new Error(`no TURN entry in iceServers: ${JSON.stringify(servers)}`);
  const urls = (Array.isArray(turn.urls) ? turn.urls : [turn.urls]).filter((u) =>
    u.endsWith(`?transport=${transport}`),
  );
  if (urls.length === 0) throw new Error(`no ${transport} TURN url in ${JSON.stringify(turn)}`);
  return [{ ...turn, urls }];
}
