/** Starts one media node (`media-node/src/main.ts`) of the local stack, configured by env. */
import { join } from 'node:path';
import { Child } from './child.ts';

export interface MediaNodeOptions {
  root: string;
  host: string;
  port: number;
  edgeUrl: string;
  sharedSecret: string;
  log: 'inherit' | { file: string };
  /** Extra or overriding environment (limits, DRAIN_TIMEOUT_MS, LOG_LEVEL...). */
  env?: Record<string, string>;
}

export function nodeIdFor(port: number): string {
  return `node-${port}`;
}

export function startMediaNode(options: MediaNodeOptions): Child {
  const url = `http://${options.host}:${options.port}`;
  return new Child({
    name: nodeIdFor(options.port),
    // The Node running this script is the project's pinned one (npm puts it first on PATH).
    command: process.execPath,
    args: [join(options.root, 'media-node/src/main.ts')],
    cwd: options.root,
    env: {
      ...process.env,
      PORT: String(options.port),
      HOST: options.host,
      NODE_ID: nodeIdFor(options.port),
      REGION: 'local',
      PUBLIC_URL: url,
      EDGE_URL: options.edgeUrl,
      // The local stack is local development: the committed .dev.vars master is accepted.
      NODE_ENV: 'development',
      NODE_SHARED_SECRET: options.sharedSecret,
      ICE_ADDRESS: options.host,
      ICE_LITE: 'true',
      ...options.env,
    },
    log: options.log,
  });
}
