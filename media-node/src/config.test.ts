import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { deriveNodeKey } from '../../shared/signing.ts';
import { ConfigError, loadConfig, nodeKeyFrom } from './config.ts';

const SECRET = { NODE_SHARED_SECRET: 'a-secret-of-enough-length' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(SECRET);
    expect(c).toMatchObject({
      port: 30006,
      host: '127.0.0.1',
      nodeId: 'node-30006',
      region: 'local',
      publicUrl: 'http://127.0.0.1:30006',
      edgeUrl: undefined,
      ice: { lite: true, address: '127.0.0.1', servers: [], portRange: undefined },
      maxIceCandidates: 50,
      drainTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      forwarder: 'fast',
      overloadLagMs: 400,
      fastSend: { mode: 'batch', flush: 'packet' },
      logLevel: 'info',
    });
  });

  it('takes REGION, LATITUDE and LONGITUDE for placement, validated, coordinates both or neither', () => {
    expect(loadConfig(SECRET).location).toBeUndefined();
    const placed = loadConfig({
      ...SECRET,
      REGION: 'eu-west',
      LATITUDE: '50.11',
      LONGITUDE: '-8.68',
    });
    expect(placed).toMatchObject({
      region: 'eu-west',
      location: { latitude: 50.11, longitude: -8.68 },
    });
    expect(() => loadConfig({ ...SECRET, LATITUDE: '50.11' })).toThrow(
      'LATITUDE and LONGITUDE (decimal degrees) must be set together',
    );
    expect(() => loadConfig({ ...SECRET, LATITUDE: '91', LONGITUDE: '0' })).toThrow(
      'LATITUDE must be decimal degrees between -90 and 90, got "91"',
    );
    expect(() => loadConfig({ ...SECRET, LATITUDE: '0', LONGITUDE: 'east' })).toThrow(
      'LONGITUDE must be decimal degrees between -180 and 180, got "east"',
    );
    expect(() => loadConfig({ ...SECRET, REGION: 'eu west' })).toThrow(
      'REGION must be 1-32 characters of A-Z a-z 0-9 _ . -',
    );
  });

  it('takes one ICE-TCP port, off by default, only with sessions on the main thread', () => {
    expect(loadConfig(SECRET).ice.tcpPort).toBeUndefined();
    expect(loadConfig({ ...SECRET, ICE_TCP_PORT: '443', WORKERS: '0' }).ice.tcpPort).toBe(443);
    expect(() => loadConfig({ ...SECRET, ICE_TCP_PORT: '443', WORKERS: '2' })).toThrow(
      /ICE_TCP_PORT needs WORKERS=0/,
    );
    expect(() => loadConfig({ ...SECRET, ICE_TCP_PORT: '70000', WORKERS: '0' })).toThrow(
      /ICE_TCP_PORT/,
    );
  });

  it('keeps an ICE-disconnected session for ICE_GRACE_MS (15 s), bounded, and names the old PEER_TIMEOUT_MS', () => {
    expect(loadConfig(SECRET).iceGraceMs).toBe(15_000);
    expect(loadConfig({ ...SECRET, ICE_GRACE_MS: '4000' }).iceGraceMs).toBe(4_000);
    expect(() => loadConfig({ ...SECRET, ICE_GRACE_MS: '999' })).toThrow(
      'ICE_GRACE_MS must be an integer number of milliseconds between 1000 and 600000, got "999"',
    );
    expect(() => loadConfig({ ...SECRET, PEER_TIMEOUT_MS: '10000' })).toThrow(
      'PEER_TIMEOUT_MS was renamed ICE_GRACE_MS (milliseconds, default 15000)',
    );
  });

  it('derives its own key from the master secret exactly as the edge does', async () => {
    const c = loadConfig({ ...SECRET, NODE_ID: 'media-1' });
    expect(c.nodeKey).toBe(await deriveNodeKey(SECRET.NODE_SHARED_SECRET, 'media-1'));
    expect(loadConfig({ NODE_KEY: 'k'.repeat(64) }).nodeKey).toBe('k'.repeat(64));
  });

  it('uses the .dev.vars secret in local development (NODE_ENV=development|test) only', () => {
    const devKey = nodeKeyFrom('local-dev-node-secret-change-me', 'node-30006');
    for (const NODE_ENV of ['development', 'test']) {
      expect(loadConfig({ NODE_ENV })).toMatchObject({ nodeKey: devKey, insecure: undefined });
    }
    for (const env of [{}, { NODE_ENV: 'production' }]) {
      expect(() => loadConfig(env)).toThrow('NODE_KEY (or NODE_SHARED_SECRET) is required');
    }
  });

  it('flags committed development secrets and placeholders outside local development', () => {
    const committed = [
      { NODE_SHARED_SECRET: 'local-dev-node-secret-change-me' },
      { NODE_SHARED_SECRET: 'change-me-to-the-wrangler-secret-value' },
      { NODE_KEY: nodeKeyFrom('local-dev-node-secret-change-me', 'node-30006') },
    ];
    for (const env of committed) {
      for (const NODE_ENV of [undefined, 'production']) {
        const c = loadConfig({ ...env, ...(NODE_ENV ? { NODE_ENV } : {}) });
        expect(c.insecure).toMatch(/committed development value.*NODE_KEY/);
      }
      expect(loadConfig({ ...env, NODE_ENV: 'development' }).insecure).toBeUndefined();
    }
    expect(loadConfig({ ...SECRET, NODE_ENV: 'production' }).insecure).toBeUndefined();
  });

  it('names every invalid variable with its unit and the value received', () => {
    let error: unknown;
    try {
      loadConfig({
        ...SECRET,
        PORT: '70000',
        IDLE_TIMEOUT_MS: '1m',
        ICE_LITE: 'maybe',
        HOST: 'example.com',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split('\n');
    expect(lines).toContain(
      'PORT must be an integer number of TCP port (0 = any free port) between 0 and 65535, got "70000"',
    );
    expect(lines).toContain(
      'IDLE_TIMEOUT_MS must be an integer number of milliseconds between 100 and 86400000, got "1m"',
    );
    expect(lines).toContain('ICE_LITE must be true or false, got "maybe"');
    expect(lines).toContain('HOST must be an IPv4 or IPv6 address, got "example.com"');
  });

  it('refuses full ICE without a STUN/TURN server (werift would use a public one)', () => {
    expect(() => loadConfig({ ...SECRET, ICE_LITE: 'false' })).toThrow(
      /ICE_SERVERS must name a stun/,
    );
    const c = loadConfig({
      ...SECRET,
      ICE_LITE: 'false',
      ICE_SERVERS: '[{"urls":"stun:127.0.0.1:3478"}]',
    });
    expect(c.ice.servers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
    expect(() => loadConfig({ ...SECRET, ICE_SERVERS: '{"urls":1}' })).toThrow(
      /ICE_SERVERS must be a JSON array/,
    );
  });

  it('checks the ICE port range as a pair', () => {
    expect(() => loadConfig({ ...SECRET, ICE_PORT_MIN: '40000' })).toThrow(/set together/);
    expect(() => loadConfig({ ...SECRET, ICE_PORT_MIN: '40010', ICE_PORT_MAX: '40000' })).toThrow(
      /MIN < MAX/,
    );
    expect(
      loadConfig({ ...SECRET, ICE_PORT_MIN: '40000', ICE_PORT_MAX: '40100' }).ice.portRange,
    ).toEqual([40000, 40100]);
  });

  it('reads the forwarding path and the overload threshold, refusing other values', () => {
    expect(loadConfig({ ...SECRET, FORWARDER: 'stock', OVERLOAD_LAG_MS: '0' })).toMatchObject({
      forwarder: 'stock',
      overloadLagMs: 0,
    });
    expect(() => loadConfig({ ...SECRET, FORWARDER: 'turbo' })).toThrow(/FORWARDER must be/);
    expect(() => loadConfig({ ...SECRET, OVERLOAD_LAG_MS: '-1' })).toThrow(/OVERLOAD_LAG_MS/);
    expect(loadConfig({ ...SECRET, FAST_SEND: 'dgram', FAST_SEND_FLUSH: 'tick' }).fastSend).toEqual(
      {
        mode: 'dgram',
        flush: 'tick',
      },
    );
    expect(() => loadConfig({ ...SECRET, FAST_SEND: 'udp' })).toThrow(/FAST_SEND must be/);
  });

  it('reads WORKERS: one per core by default or "auto", 0 for none, refusing other values', () => {
    expect(loadConfig(SECRET).workers).toBe(availableParallelism());
    expect(loadConfig({ ...SECRET, WORKERS: 'auto' }).workers).toBe(availableParallelism());
    expect(loadConfig({ ...SECRET, WORKERS: '0' }).workers).toBe(0);
    expect(loadConfig({ ...SECRET, WORKERS: '3' }).workers).toBe(3);
    expect(() => loadConfig({ ...SECRET, WORKERS: '257' })).toThrow(/WORKERS must be "auto"/);
    expect(() => loadConfig({ ...SECRET, WORKERS: 'many' })).toThrow(/got "many"/);
  });
});
