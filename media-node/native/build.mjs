// Builds the SRTP addon (media-node/native) during `npm ci` / `npm install`, offline, and never
// fails the install: without the addon the media node runs on the JS SRTP path and says so in
// its start-up log line and the srtp backend metric.
//
// Plain .mjs on purpose: an install may run under a Node without TypeScript stripping.
//
// Offline: node-gyp only downloads headers when it finds none, so this passes --nodedir pointing
// at installed headers (npm's `nodedir` config, else /usr/include/node from the distro's nodejs
// package) and skips the build when there are none. The addon uses only Node-API (NAPI_VERSION 8),
// so headers of any Node >= 16 build a binary that loads in the pinned Node 24.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const TIMEOUT_MS = 180_000;

function log(message) {
  console.log(`[media-node/native] ${message}`);
}

/** node-gyp as npm ships it: npm sets npm_config_node_gyp for lifecycle scripts. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(
      join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    );
  }
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  return candidates.find((p) => p && existsSync(p));
}

/** A directory whose include/node/node_api.h exists (what node-gyp's --nodedir expects). */
function findNodedir() {
  const candidates = [process.env.npm_config_nodedir, '/usr', '/usr/local'];
  return candidates.find((d) => d && existsSync(join(d, 'include/node/node_api.h')));
}

function main() {
  if (process.env.MEDIA_SKIP_NATIVE === '1') return log('skipped (MEDIA_SKIP_NATIVE=1)');
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) return log('node-gyp not found: SRTP will use the JS path');
  const nodedir = findNodedir();
  if (!nodedir) return log('no Node headers (include/node/node_api.h): SRTP will use the JS path');
  const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: TIMEOUT_MS,
    encoding: 'utf8',
  });
  if (result.status === 0 && existsSync(join(here, 'build/Release/srtp.node'))) {
    return log(`built build/Release/srtp.node (node ${process.version}, headers ${nodedir})`);
  }
  const why = result.error?.message ?? `exit ${result.status}`;
  const tail = `${result.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n');
  log(`build failed (${why}): SRTP will use the JS path\n${tail}`);
}

try {
  main();
} catch (error) {
  log(`build skipped: ${error instanceof Error ? error.message : String(error)}`);
}
process.exitCode = 0;
