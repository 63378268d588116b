/**
 * `npm start`: the whole stack on 127.0.0.1 — the edge in the Workers runtime on :8787
 * (`workerd serve`, or `wrangler dev` with `--dev`) and media nodes on :30006 and :30007,
 * registered with the edge. Prints the URLs, a demo token and link, then `ready`.
 *
 * Ctrl-C / SIGTERM: the nodes drain (no sessions: they exit at once), then the edge stops; exit 0.
 * A second Ctrl-C kills everything at once.
 */
import type { Child } from './stack/child.ts';
import { startStack } from './stack/stack.ts';

const dev = process.argv.includes('--dev');
let stack: Awaited<ReturnType<typeof startStack>> | undefined;
/** Every child spawned so far, so a Ctrl-C during start-up leaves none behind. */
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

try {
  stack = await startStack({
    edgeMode: dev ? 'wrangler-dev' : 'workerd',
    logs: 'inherit',
    onChild: (child) => children.push(child),
  });
} catch (error) {
  console.error(`start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const device = 'demo-user';
const token = await stack.token({ device });
const admin = await stack.token({ device: 'operator', admin: true });
const t = stack.timings;
console.log(`
edge         ${stack.edgeUrl}  (${dev ? 'wrangler dev' : 'workerd serve'})
media nodes  ${stack.nodes.map((n) => `${n.id} ${n.url}`).join(', ')}
started in   ${t.total_ms} ms (edge bundle ${t.edge_bundle_ms ?? 0} ms, edge up ${t.edge_ready_ms} ms, nodes up ${t.nodes_up_ms} ms, registered ${t.nodes_registered_ms} ms)

demo page    ${stack.edgeUrl}/#token=${token}
             (device "${device}"; open it in two tabs or make more with: npm run token -- --device <name>)
token        ${token}
admin token  ${admin}
try          curl -H "authorization: Bearer ${token}" ${stack.edgeUrl}/api/media/sessions

ready`);
