/**
 * The edge in the real Workers runtime, fast path: `wrangler deploy --dry-run` bundles it
 * (running wrangler's `[build]` too, which bundles the demo page), then `workerd serve` runs the
 * bundle with a generated capnp config. Durable Objects persist in `storageDir` (SQLite).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { Child } from './child.ts';
import { readDevVars } from './dev-vars.ts';
import { resolveEdgeSettings } from './edge-settings.ts';
import { renderWorkerdConfig, type WorkerdEdgeConfig } from './workerd-config.ts';

/** Environment for wrangler: no telemetry, no `cf.json` download; this stack stays offline. */
export function offlineWranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_LOG: process.env.WRANGLER_LOG ?? 'warn',
  };
}

export interface EdgeBuildOptions {
  root: string;
  outDir: string;
  log: 'inherit' | { file: string };
}

/** Bundles the Worker into `outDir` with wrangler (no upload). */
export async function buildEdgeBundle(options: EdgeBuildOptions): Promise<void> {
  const wrangler = new Child({
    name: 'build',
    command: join(options.root, 'node_modules/.bin/wrangler'),
    args: ['deploy', '--dry-run', '--outdir', options.outDir],
    cwd: options.root,
    env: offlineWranglerEnv(),
    log: options.log,
    group: true,
  });
  const { code, signal } = await wrangler.exited;
  if (code !== 0) {
    throw new Error(`wrangler deploy --dry-run failed (${signal ?? `exit ${code}`})`);
  }
}

export interface WranglerConfig {
  name?: string;
  compatibility_date?: string;
  compatibility_flags: string[];
  vars: Record<string, unknown>;
  durable_objects: { bindings: Array<{ name: string; class_name: string }> };
  migrations: Array<{ new_sqlite_classes?: string[] }>;
}

/**
 * Reads `wrangler.toml` through wrangler's own parser, so the stack matches deploys. Loading
 * wrangler takes most of a second: start this while the bundle builds.
 */
export async function readWranglerConfig(root: string): Promise<WranglerConfig> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  const wrangler = await import('wrangler');
  return wrangler.unstable_readConfig({ config: join(root, 'wrangler.toml') }) as WranglerConfig;
}

/**
 * The edge's settings as the local stack runs it: wrangler.toml `[vars]`, then `.dev.vars`, then
 * environment variables of the same name (see edge-settings.ts).
 */
export function edgeSettings(
  root: string,
  config: WranglerConfig,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  return resolveEdgeSettings({
    vars: config.vars,
    devVars: readDevVars(join(root, '.dev.vars')),
    env,
  });
}

/** The workerd binary of the installed wrangler (the runtime its bundles are made for). */
export function workerdBinary(root: string): string {
  const fromWrangler = createRequire(join(root, 'node_modules/wrangler/package.json'));
  const binary: unknown = fromWrangler('workerd').default;
  if (typeof binary !== 'string') throw new Error('the workerd package exposes no binary path');
  return binary;
}

export interface WorkerdEdgeOptions {
  root: string;
  host: string;
  port: number;
  /** The bundle from {@link buildEdgeBundle}; only read, so several stacks can share it. */
  distDir: string;
  /** Gets the capnp config and the Durable Objects' storage (`storage/`). */
  workDir: string;
  log: 'inherit' | { file: string };
  /** Extra or overriding text bindings (e.g. shorter timeouts in tests). */
  vars?: Record<string, string>;
  /** `wrangler.toml`, when already read (see {@link readWranglerConfig}). */
  config?: Promise<WranglerConfig>;
}

/**
 * The edge's workerd config, built from the settings ({@link edgeSettings}, then `vars`) and the
 * bundle in `distDir` (module paths relative to `configDir`, where the capnp file goes; storage in `configDir/storage`).
 */
export async function edgeWorkerdConfig(o: {
  root: string;
  distDir: string;
  configDir: string;
  address: string;
  vars?: Record<string, string>;
  config?: Promise<WranglerConfig>;
}): Promise<WorkerdEdgeConfig> {
  const config = await (o.config ?? readWranglerConfig(o.root));
  const files = await readdir(o.distDir);
  if (!files.includes('index.js')) throw new Error(`no index.js in ${o.distDir}`);
  const embed = (file: string) => relative(o.configDir, join(o.distDir, file));
  const modules: WorkerdEdgeConfig['modules'] = [
    { name: 'index.js', path: embed('index.js'), kind: 'esModule' },
  ];
  for (const file of files) {
    if (file === 'index.js') continue;
    if (/\.m?js$/.test(file)) modules.push({ name: file, path: embed(file), kind: 'esModule' });
    else if (file.endsWith('.wasm')) modules.push({ name: file, path: embed(file), kind: 'wasm' });
  }
  const text = { ...edgeSettings(o.root, config), ...o.vars };
  const durableObjects: Record<string, string> = {};
  for (const b of config.durable_objects.bindings) durableObjects[b.name] = b.class_name;
  return {
    address: o.address,
    modules,
    compatibilityDate: config.compatibility_date ?? '2026-08-01',
    compatibilityFlags: config.compatibility_flags,
    text,
    durableObjects,
    sqliteClasses: config.migrations.flatMap((m) => m.new_sqlite_classes ?? []),
    storageDir: join(o.configDir, 'storage'),
    workerName: config.name ?? 'edge',
  };
}

/**
 * Writes the capnp config next to the bundle and starts `workerd serve`. workerd reports on
 * its fd 3 when its socket listens: {@link waitListening} tells this workerd's readiness apart
 * from another process answering on the same port.
 */
export async function startWorkerdEdge(options: WorkerdEdgeOptions): Promise<Child> {
  const edge = await edgeWorkerdConfig({
    root: options.root,
    distDir: options.distDir,
    configDir: options.workDir,
    address: `${options.host}:${options.port}`,
    ...(options.vars ? { vars: options.vars } : {}),
    ...(options.config ? { config: options.config } : {}),
  });
  await mkdir(edge.storageDir, { recursive: true });
  const configPath = join(options.workDir, 'workerd.capnp');
  await writeFile(configPath, renderWorkerdConfig(edge));
  return new Child({
    name: 'edge',
    command: workerdBinary(options.root),
    args: ['serve', configPath, '--verbose', '--control-fd', '3'],
    cwd: options.root,
    log: options.log,
    controlFd: true,
  });
}

/**
 * Resolves with the port once workerd (started with `--control-fd 3`) reports that its socket
 * listens (`{"event":"listen","socket":"http","port":8787}`); rejects if it exits first or
 * `timeoutMs` passes.
 */
export function waitListening(workerd: Child, timeoutMs: number): Promise<number> {
  const control = workerd.control;
  if (!control) return Promise.reject(new Error(`${workerd.name} has no control pipe`));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: control });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`workerd did not report listening within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as { event?: unknown; port?: unknown };
        if (message.event === 'listen' && typeof message.port === 'number') {
          clearTimeout(timer);
          lines.close();
          resolve(message.port);
        }
      } catch {
        // Not a control message we know: keep waiting.
      }
    });
    void workerd.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited (${signal ?? `code ${code}`}) before listening`));
    });
  });
}
