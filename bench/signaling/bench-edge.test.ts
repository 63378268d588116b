import { describe, expect, it } from 'vitest';
import { renderBenchConfig } from './bench-edge.ts';

describe('benchmark workerd config', () => {
  it('serves the edge and the baseline from one process on two sockets', () => {
    const capnp = renderBenchConfig({
      edgeCapnp: '# edge part',
      storageDir: '/tmp/s',
      edgeAddress: '127.0.0.1:1',
      baselineAddress: '127.0.0.1:2',
      baselineModule: 'baseline/baseline.js',
      compatibilityDate: '2026-08-01',
      flags: ['nodejs_compat'],
      jwtSecret: 'k',
    });
    expect(capnp.startsWith('# edge part\n')).toBe(true);
    expect(capnp).toContain('const bench :Workerd.Config');
    expect(capnp).toContain('address = "127.0.0.1:1", http = (), service = "edge"');
    expect(capnp).toContain('address = "127.0.0.1:2", http = (), service = "baseline"');
    expect(capnp).toContain('esModule = embed "baseline/baseline.js"');
    expect(capnp).toContain('compatibilityFlags = ["nodejs_compat"]');
    expect(capnp).toContain('(name = "JWT_SECRET", text = "k")');
    // Only loopback for the edge's outbound calls.
    expect(capnp).toContain('network = (allow = ["local"])');
  });
});
