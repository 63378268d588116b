import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { httpJcfg, janusJcfg, writeJanusConfig } from './config.ts';

describe('janus benchmark config', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('loads plugins, transports, event handlers and loggers only from its own folders', () => {
    const text = janusJcfg('/tmp/x');
    for (const k of ['configs', 'plugins', 'transports', 'events', 'loggers']) {
      expect(text).toMatch(new RegExp(`${k}_folder = "/tmp/x`));
    }
    expect(text).not.toMatch(/stun_server|turn_server|\/etc\/janus/);
    expect(text).toMatch(/broadcast = false/);
  });

  it('serves plain HTTP on 127.0.0.1 only, without the admin API', () => {
    const text = httpJcfg(8123);
    expect(text).toMatch(/port = 8123/);
    expect(text).toMatch(/ip = "127.0.0.1"/);
    expect(text).toMatch(/https = false/);
    expect(text).toMatch(/admin_http = false/);
  });

  it('gives Janus exactly the videoroom plugin and the HTTP transport', () => {
    const lib = mkdtempSync(join(os.tmpdir(), 'janus-lib-'));
    const parent = mkdtempSync(join(os.tmpdir(), 'janus-cfg-'));
    const dir = join(parent, 'cfg');
    dirs.push(lib, parent);
    const cfg = writeJanusConfig(dir, 8123, lib);
    expect(cfg.url).toBe('http://127.0.0.1:8123/janus');
    expect(readdirSync(join(dir, 'plugins'))).toEqual(['libjanus_videoroom.so']);
    expect(readdirSync(join(dir, 'transports'))).toEqual(['libjanus_http.so']);
    expect(readlinkSync(join(dir, 'plugins/libjanus_videoroom.so'))).toBe(
      join(lib, 'plugins/libjanus_videoroom.so'),
    );
    expect(readdirSync(join(dir, 'events'))).toEqual([]);
    expect(readdirSync(join(dir, 'loggers'))).toEqual([]);
    expect(readFileSync(join(dir, 'janus.jcfg'), 'utf8')).toBe(janusJcfg(dir));
    expect(existsSync(join(dir, 'janus.plugin.videoroom.jcfg'))).toBe(true);
  });
});
