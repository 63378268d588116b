/**
 * `npm start`'s options: flags, else environment variables, else the defaults. Two stacks can
 * run side by side when the second gets other ports (and so its own state directory).
 */
import { parseArgs } from 'node:util';

export const DEFAULT_EDGE_PORT = 8787;
export const DEFAULT_NODE_PORTS: readonly number[] = [30006, 30007];

export const START_USAGE = `usage: npm start -- [--edge-port <port>] [--node-ports <port,port,...>] [--work-dir <dir>]
  --edge-port   the edge's HTTP port (env EDGE_PORT; default ${DEFAULT_EDGE_PORT})
  --node-ports  one media node per port, comma-separated (env NODE_PORTS; default ${DEFAULT_NODE_PORTS.join(',')})
  --work-dir    the edge bundle, its config and the Durable Objects' storage
                (default .wrangler/local-stack, or .wrangler/local-stack-<edge port> off the default port)
  --dev         the edge under wrangler dev (reloads on edit)`;

export interface StartOptions {
  dev: boolean;
  edgePort: number;
  nodePorts: number[];
  /** Relative to the repository unless absolute. */
  workDir: string;
}

export class StartOptionsError extends Error {
  override readonly name = 'StartOptionsError';
}

function port(what: string, text: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 65_535) {
    throw new StartOptionsError(`${what} must be a port number (1-65535), got "${text}"`);
  }
  return value;
}

/** Reads `argv` (the arguments after the script) and `env`; throws with the exact problem. */
export function parseStartOptions(argv: string[], env: NodeJS.ProcessEnv): StartOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new StartOptionsError((error as Error).message);
  }
  const edgeText = values['edge-port'] ?? env.EDGE_PORT;
  const edgeWhat = values['edge-port'] === undefined ? 'EDGE_PORT' : '--edge-port';
  const edgePort = edgeText ? port(edgeWhat, edgeText) : DEFAULT_EDGE_PORT;
  const nodesText = values['node-ports'] ?? env.NODE_PORTS;
  const nodesWhat = values['node-ports'] === undefined ? 'NODE_PORTS' : '--node-ports';
  const nodePorts = nodesText
    ? nodesText.split(',').map((p) => port(`${nodesWhat} (each)`, p))
    : [...DEFAULT_NODE_PORTS];
  const all = [edgePort, ...nodePorts];
  const repeated = all.find((p, i) => all.indexOf(p) !== i);
  if (repeated !== undefined) {
    throw new StartOptionsError(`port ${repeated} is given twice: each process needs its own`);
  }
  const workDir =
    values['work-dir'] ??
    (edgePort === DEFAULT_EDGE_PORT
      ? '.wrangler/local-stack'
      : `.wrangler/local-stack-${edgePort}`);
  return { dev: values.dev ?? false, edgePort, nodePorts, workDir };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      dev: { type: 'boolean' },
      'edge-port': { type: 'string' },
      'node-ports': { type: 'string' },
      'work-dir': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
}
