import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envOverrides, resolveEdgeSettings } from './edge-settings.ts';
import { edgeSettings, type WranglerConfig } from './workerd-edge.ts';

const vars = { SHARD_COUNT: '32', HEARTBEAT_TIMEOUT_MS: '15000', ICE_SERVERS: [] as unknown[] };
const devVars = { JWT_SECRET: 'from-dev-vars-0123456789', HEARTBEAT_TIMEOUT_MS: '9000' };

describe('resolveEdgeSettings', () => {
  it('layers wrangler.toml [vars], then .dev.vars, then the environment', () => {
    const env = { SHARD_COUNT: '4', JWT_SECRET: 'from-env-0123456789abc', PATH: '/usr/bin' };
    expect(resolveEdgeSettings({ vars, devVars, env })).toEqual({
      SHARD_COUNT: '4', // env over [vars]
      HEARTBEAT_TIMEOUT_MS: '9000', // .dev.vars over [vars]
      ICE_SERVERS: '[]', // JSON text, as wrangler passes non-string vars
      JWT_SECRET: 'from-env-0123456789abc', // env over .dev.vars
    });
  });

  it('takes only names the files define from the environment', () => {
    const settings = resolveEdgeSettings({ vars, devVars, env: { PATH: '/usr/bin', HOME: '/' } });
    expect(settings).not.toHaveProperty('PATH');
    expect(settings).not.toHaveProperty('HOME');
  });

  it('lists what the environment overrode (for wrangler dev --var)', () => {
    expect(envOverrides({ vars, devVars, env: { HEARTBEAT_TIMEOUT_MS: '5000', X: '1' } })).toEqual({
      HEARTBEAT_TIMEOUT_MS: '5000',
    });
  });
});

describe('edgeSettings', () => {
  it('reads .dev.vars from the repository root and applies the environment on top', () => {
    const root = mkdtempSync(join(tmpdir(), 'edge-settings-'));
    try {
      writeFileSync(
        join(root, '.dev.vars'),
        'JWT_SECRET=dev-secret-0123456789\nNODE_SHARED_SECRET=n\n',
      );
      const config: WranglerConfig = {
        compatibility_flags: [],
        vars: { MAX_BODY_BYTES: '131072' },
        durable_objects: { bindings: [] },
        migrations: [],
      };
      expect(edgeSettings(root, config, { NODE_SHARED_SECRET: 'env-node-secret-0123' })).toEqual({
        MAX_BODY_BYTES: '131072',
        JWT_SECRET: 'dev-secret-0123456789',
        NODE_SHARED_SECRET: 'env-node-secret-0123',
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
