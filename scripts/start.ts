/**
 * `npm start`: the whole stack on 127.0.0.1 — the edge in the Workers runtime on :8787
 * (`workerd serve`, or `wrangler dev` with `--dev`) and media nodes on :30006 and :30007,
 * registered with the edge. Prints the URLs, a demo link, tokens and every process's PID, then
 * `ready`. Other ports: `--edge-port`, `--node-ports` or EDGE_PORT, NODE_PORTS
 * (stack/start-options.ts). Busy ports: exits 1 naming them, before starting anything.
 *
 * Ctrl-C / SIGTERM / SIGHUP (a closed terminal): the nodes drain (no sessions: they exit at
 * once), then the edge stops; exit 0. A second signal kills everything at once. If this process
 * dies any other way (kill -9, a crash), the watchdog (stack/watchdog.ts) stops the children.
 */
import { isAbsolute, join } from 'node:path';
import type { Child } from './stack/child.ts';
import { startDemoTokenService } from './stack/demo-tokens.ts';
import { ROOT, startStack } from './stack/stack.ts';
import { parseStartOptions, START_USAGE, StartOptionsError } from './stack/start-options.ts';

if (process.argv.includes('--help')) {
  console.log(START_USAGE);
  process.exit(0);
}
let options: ReturnType<typeof parseStartOptions>;
try {
  options = parseStartOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof StartOptionsError)) throw error;
  console.error(`${error.message}\n${START_USAGE}`);
  process.exit(2);
}

// After a closed terminal, writes to it fail (EIO); the drain must still run to its end.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

let stack: Awaited<ReturnType<typeof startStack>> | undefined;
/** Every child spawned so far, so a signal during start-up leaves none behind. */
const children: Child[] = [];
let firstSignalAt: number | undefined;
/**
 * A terminal's Ctrl-C reaches both npm and this process, and npm forwards it again: signals
 * within this window are one Ctrl-C, not the second that kills.
 */
const SAME_SIGNAL_WINDOW_MS = 500;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  const now = performance.now();
  if (firstSignalAt !== undefined && now - firstSignalAt < SAME_SIGNAL_WINDOW_MS) return;
  const again = firstSignalAt !== undefined;
  firstSignalAt ??= now;
  if (again || !stack) {
    console.log(`\n${signal}: killing everything now`);
    for (const child of children) child.signal('SIGKILL');
    process.exit(130);
  }
  console.log(`\n${signal}: stopping (nodes drain first; Ctrl-C again to kill at once)`);
  const results = await stack.stop();
  for (const [name, exit] of Object.entries(results)) {
    const how = exit.killed ? 'killed after the deadline' : `exited ${exit.code ?? exit.signal}`;
    console.log(`  ${name}: ${how}`);
  }
  const clean = Object.values(results).every((r) => !r.killed);
  process.exit(clean ? 0 : 1);
}

process.on('SIGINT', (s) => void shutdown(s));
process.on('SIGTERM', (s) => void shutdown(s));
process.on('SIGHUP', (s) => void shutdown(s));

try {
  stack = await startStack({
    edgeMode: options.dev ? 'wrangler-dev' : 'workerd',
    edgePort: options.edgePort,
    nodePorts: options.nodePorts,
    workDir: isAbsolute(options.workDir) ? options.workDir : join(ROOT, options.workDir),
    logs: 'inherit',
    localTurn: true,
    onChild: (child) => {
      children.push(child);
      console.log(`[stack] ${child.name} started, pid ${child.pid}`);
    },
  });
} catch (error) {
  console.error(`start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const running = stack;
const demoTokens = await startDemoTokenService({
  host: '127.0.0.1',
  allowOrigin: running.edgeUrl,
  sign: (device, ttlSeconds) => running.token({ device, ttlSeconds }),
});
const demoLink = `${running.edgeUrl}/#mint=${encodeURIComponent(demoTokens.url)}&key=${demoTokens.key}`;
const token = await running.token({ device: 'demo-user' });
const admin = await running.token({ device: 'operator', admin: true });
const t = running.timings;
const processes = [{ name: 'supervisor', pid: process.pid }, ...running.processes()]
  .map((p) => `${p.name} ${p.pid}`)
  .join(', ');
console.log(`
edge         ${running.edgeUrl}  (${options.dev ? 'wrangler dev' : 'workerd serve'})
media nodes  ${running.nodes.map((n) => `${n.id} ${n.url}`).join(', ')}
started in   ${t.total_ms} ms (edge bundle ${t.edge_bundle_ms ?? 0} ms, edge up ${t.edge_ready_ms} ms, nodes up ${t.nodes_up_ms} ms, registered ${t.nodes_registered_ms} ms)
processes    ${processes}
turn         ${running.turn?.summary ?? 'off'}
state        ${running.workDir}

demo page    ${demoLink}
             (open it in two or more tabs: each tab picks its own name and gets a token for it
             from this process, on 127.0.0.1 only, for as long as it runs)
token        ${token}
             (device "demo-user", for curl; more with: npm run token -- --device <name>)
admin token  ${admin}${running.turn?.secret ? `\nturn secret  ${running.turn.secret}\n             (coturn's static-auth-secret, the edge's TURN_SECRET; loopback only, new each start)` : ''}
try          curl -H "authorization: Bearer ${token}" ${running.edgeUrl}/api/media/sessions

ready`);
