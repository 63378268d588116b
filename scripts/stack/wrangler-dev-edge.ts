/** The edge under `wrangler dev` (reloads on change; slower, two workerd processes). */
import { join } from 'node:path';
import { Child } from './child.ts';
import { offlineWranglerEnv } from './workerd-edge.ts';

export function startWranglerDev(options: {
  root: string;
  host: string;
  port: number;
  log: 'inherit' | { file: string };
  /** Settings given on the command line (`--var`), which win over wrangler.toml and .dev.vars. */
  vars?: Record<string, string>;
}): Child {
  return new Child({
    name: 'edge',
    command: join(options.root, 'node_modules/.bin/wrangler'),
    args: [
      'dev',
      '--ip',
      options.host,
      '--port',
      String(options.port),
      '--show-interactive-dev-session=false',
      ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => [
        '--var',
        `${name}:${value}`,
      ]),
    ],
    cwd: options.root,
    env: offlineWranglerEnv(),
    log: options.log,
    // wrangler runs workerd as its own child: signal the group so none is left behind.
    group: true,
  });
}
