/**
 * The edge and the baseline worker in ONE `workerd serve` process, each on its own loopback
 * socket: the edge's bundle and config exactly as the local stack runs them (scripts/stack), plus
 * a tiny baseline worker with its own Durable Object, so both are measured in the same runtime,
 * the same process and the same run. The baseline never ships: it exists only in this config.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { Child } from '../../scripts/stack/child.ts';
import { ROOT } from '../../scripts/stack/stack.ts';
import { renderWorkerdConfig } from '../../scripts/stack/workerd-config.ts';
import {
  buildEdgeBundle,
  edgeWorkerdConfig,
  offlineWranglerEnv,
  workerdBinary,
} from '../../scripts/stack/workerd-edge.ts';
import { own } from '../lib/children.ts';

/** Bundles the edge (wrangler) and the baseline worker (esbuild) into `workDir`. */
export async function buildBenchWorkers(workDir: string): Promise<{ edgeDist: string }> {
  const edgeDist = join(workDir, 'dist');
  await buildEdgeBundle({
    root: ROOT,
    outDir: edgeDist,
    log: { file: join(workDir, 'build.log') },
  });
  await build({
    entryPoints: [join(ROOT, 'bench/signaling/baseline-worker.ts')],
    outfile: join(workDir, 'baseline', 'baseline.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    external: ['cloudflare:workers'],
    logLevel: 'warning',
  });
  return { edgeDist };
}

/** The baseline worker and a second top-level config serving both workers (pure). */
export function renderBenchConfig(o: {
  edgeCapnp: string;
  storageDir: string;
  edgeAddress: string;
  baselineAddress: string;
  baselineModule: string;
  compatibilityDate: string;
  flags: string[];
  /** The edge's development JWT secret, so the baseline verifies the same tokens. */
  jwtSecret: string;
}): string {
  const str = (v: string) => JSON.stringify(v);
  return `${o.edgeCapnp}
# Benchmark only: the edge above plus the baseline worker, in one process.
const bench :Workerd.Config = (
  services = [
    (name = "edge", worker = .edge),
    (name = "baseline", worker = .baseline),
    (name = "do-storage", disk = (path = ${str(o.storageDir)}, writable = true)),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "http", address = ${str(o.edgeAddress)}, http = (), service = "edge"),
    (name = "baseline", address = ${str(o.baselineAddress)}, http = (), service = "baseline"),
  ],
);

const baseline :Workerd.Worker = (
  modules = [(name = "baseline.js", esModule = embed ${str(o.baselineModule)})],
  compatibilityDate = ${str(o.compatibilityDate)},
  compatibilityFlags = [${o.flags.map(str).join(', ')}],
  bindings = [
    (name = "BASELINE", durableObjectNamespace = "BaselineObject"),
    (name = "JWT_SECRET", text = ${str(o.jwtSecret)}),
  ],
  durableObjectNamespaces = [
    (className = "BaselineObject", uniqueKey = "bench-baseline-BaselineObject", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-storage"),
);
`;
}

export interface BenchEdgeOptions {
  workDir: string;
  edgeDist: string;
  edgePort: number;
  baselinePort: number;
  /** Overrides of the edge's vars, e.g. `SHARD_COUNT`. */
  vars: Record<string, string>;
  /** Serve the inspector protocol here (CPU profiles), e.g. `127.0.0.1:9230`. */
  inspectorAddress?: string;
}

/** Writes the config into a fresh `runDir` (its own storage) and starts workerd. */
export async function startBenchWorkerd(
  options: BenchEdgeOptions & { runDir: string },
): Promise<Child> {
  await mkdir(join(options.runDir, 'storage'), { recursive: true });
  const edgeAddress = `127.0.0.1:${options.edgePort}`;
  Object.assign(process.env, offlineWranglerEnv());
  const edge = await edgeWorkerdConfig({
    root: ROOT,
    distDir: options.edgeDist,
    configDir: options.runDir,
    address: edgeAddress,
    vars: options.vars,
  });
  const capnp = renderBenchConfig({
    edgeCapnp: renderWorkerdConfig(edge),
    storageDir: edge.storageDir,
    edgeAddress,
    baselineAddress: `127.0.0.1:${options.baselinePort}`,
    baselineModule: relative(options.runDir, join(options.workDir, 'baseline', 'baseline.js')),
    compatibilityDate: edge.compatibilityDate,
    flags: edge.compatibilityFlags,
    jwtSecret: edge.text.JWT_SECRET ?? '',
  });
  const configPath = join(options.runDir, 'bench.capnp');
  await writeFile(configPath, capnp);
  return own(
    new Child({
      name: 'workerd',
      command: workerdBinary(ROOT),
      // --verbose as in the local stack: the edge's JSON request logs are written, as they are there.
      args: [
        'serve',
        configPath,
        'bench',
        '--verbose',
        ...(options.inspectorAddress ? [`--inspector-addr=${options.inspectorAddress}`] : []),
      ],
      cwd: ROOT,
      log: { file: join(options.runDir, 'workerd.log') },
    }),
  );
}
