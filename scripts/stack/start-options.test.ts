import { describe, expect, it } from 'vitest';
import { parseStartOptions, StartOptionsError } from './start-options.ts';

describe('parseStartOptions', () => {
  it('defaults to 8787 and 30006,30007 with the usual state directory', () => {
    expect(parseStartOptions([], {})).toEqual({
      dev: false,
      edgePort: 8787,
      nodePorts: [30006, 30007],
      workDir: '.wrangler/local-stack',
    });
  });

  it('reads EDGE_PORT and NODE_PORTS, and gives another edge port its own state', () => {
    expect(parseStartOptions([], { EDGE_PORT: '8797', NODE_PORTS: '30016,30017' })).toEqual({
      dev: false,
      edgePort: 8797,
      nodePorts: [30016, 30017],
      workDir: '.wrangler/local-stack-8797',
    });
  });

  it('lets flags win over the environment', () => {
    const options = parseStartOptions(
      ['--edge-port', '9000', '--node-ports', '31000', '--work-dir', '/tmp/x', '--dev'],
      { EDGE_PORT: '8797', NODE_PORTS: '30016,30017' },
    );
    expect(options).toEqual({ dev: true, edgePort: 9000, nodePorts: [31000], workDir: '/tmp/x' });
  });

  it('refuses bad ports, naming where they came from', () => {
    expect(() => parseStartOptions(['--edge-port', '0'], {})).toThrow(/--edge-port .*"0"/);
    expect(() => parseStartOptions([], { EDGE_PORT: 'http' })).toThrow(/EDGE_PORT .*"http"/);
    expect(() => parseStartOptions([], { NODE_PORTS: '30006,70000' })).toThrow(/NODE_PORTS/);
    expect(() => parseStartOptions(['--node-ports', '30006;30007'], {})).toThrow(StartOptionsError);
  });

  it('refuses a port given twice', () => {
    expect(() => parseStartOptions(['--edge-port', '30006'], {})).toThrow(/30006 is given twice/);
    expect(() => parseStartOptions(['--node-ports', '1,1'], {})).toThrow(/given twice/);
  });

  it('refuses unknown flags', () => {
    expect(() => parseStartOptions(['--port', '1'], {})).toThrow(StartOptionsError);
  });
});
