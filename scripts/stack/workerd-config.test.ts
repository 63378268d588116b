import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDevVars } from './dev-vars.ts';
import { readyNodes } from './stack.ts';
import { renderWorkerdConfig } from './workerd-config.ts';

const base = {
  address: '127.0.0.1:8787',
  modules: [{ name: 'index.js', path: '../dist/index.js', kind: 'esModule' as const }],
  compatibilityDate: '2026-08-01',
  compatibilityFlags: ['nodejs_compat'],
  text: { SHARD_COUNT: '32', ICE_SERVERS: '[{"urls":"stun:x"}]' },
  durableObjects: { SESSION_SHARD: 'SessionShard', NODE_REGISTRY: 'NodeRegistry' },
  sqliteClasses: ['SessionShard', 'NodeRegistry'],
  storageDir: '/tmp/stack/storage',
  workerName: 'media-edge',
};

describe('renderWorkerdConfig', () => {
  it('binds the vars, the Durable Objects on SQLite and a loopback-only outbound', () => {
    const capnp = renderWorkerdConfig(base);
    expect(capnp).toContain('(name = "index.js", esModule = embed "../dist/index.js"),');
    expect(capnp).toContain('(name = "ICE_SERVERS", text = "[{\\"urls\\":\\"stun:x\\"}]"),');
    expect(capnp).toContain('(name = "SESSION_SHARD", durableObjectNamespace = "SessionShard"),');
    expect(capnp).toContain(
      '(className = "NodeRegistry", uniqueKey = "media-edge-NodeRegistry", enableSql = true),',
    );
    expect(capnp).toContain('network = (allow = ["local"])');
    expect(capnp).toContain('globalOutbound = "loopback"');
    expect(capnp).not.toContain('"public"');
    expect(capnp).toContain('address = "127.0.0.1:8787"');
  });

  it('keeps classes outside new_sqlite_classes on the key-value backend', () => {
    const capnp = renderWorkerdConfig({ ...base, sqliteClasses: ['SessionShard'] });
    expect(capnp).toContain('uniqueKey = "media-edge-NodeRegistry", enableSql = false');
  });
});

describe('readyNodes', () => {
  it('counts the ready nodes of the edge node listing', () => {
    const reply = { nodes: [{ state: 'ready' }, { state: 'draining' }, { state: 'ready' }] };
    expect(readyNodes(reply)).toBe(2);
    expect(readyNodes({ nodes: [] })).toBe(0);
    expect(readyNodes({ error: { code: 'forbidden' } })).toBe(0);
  });
});

describe('readDevVars', () => {
  it('reads KEY=VALUE lines, skipping comments and unquoting values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-vars-'));
    try {
      const file = join(dir, '.dev.vars');
      writeFileSync(file, '# secrets\nJWT_SECRET=abc=def\n\nNODE_SHARED_SECRET="quoted value"\n');
      expect(readDevVars(file)).toEqual({
        JWT_SECRET: 'abc=def',
        NODE_SHARED_SECRET: 'quoted value',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
