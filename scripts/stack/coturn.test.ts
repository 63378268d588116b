import { describe, expect, it } from 'vitest';
import { coturnConfig, startCoturn } from './coturn.ts';

describe('coturn config', () => {
  const text = coturnConfig({
    host: '127.0.0.1',
    port: 3478,
    relayPorts: [49_160, 49_200],
    secret: 's3cret-s3cret-s3cret',
    workDir: '/tmp/x',
    log: 'inherit',
  });
  const lines = text.trim().split('\n');

  it('listens and relays on the loopback address only', () => {
    expect(lines).toContain('listening-ip=127.0.0.1');
    expect(lines).toContain('relay-ip=127.0.0.1');
    expect(lines.filter((l) => /^(listening-ip|relay-ip|external-ip)=/.test(l))).toHaveLength(2);
  });

  it('uses the TURN REST scheme with the given secret', () => {
    expect(lines).toContain('use-auth-secret');
    expect(lines).toContain('static-auth-secret=s3cret-s3cret-s3cret');
  });

  it('never daemonizes, asks no STUN server and keeps its files in the work dir', () => {
    expect(lines).not.toContain('daemon');
    expect(lines).toContain('no-stun');
    expect(lines).toContain('log-file=stdout');
    expect(lines).toContain('userdb=/tmp/x/turndb');
    expect(lines).toContain('pidfile=/tmp/x/turnserver.pid');
  });
});

describe('startCoturn', () => {
  it('fails naming the Debian package when turnserver is missing', async () => {
    await expect(
      startCoturn({
        host: '127.0.0.1',
        port: 3478,
        relayPorts: [49_160, 49_200],
        secret: 's3cret-s3cret-s3cret',
        workDir: '/nonexistent',
        log: 'inherit',
        binary: '/nonexistent/turnserver',
      }),
    ).rejects.toThrow(
      /\/nonexistent\/turnserver missing\): apt-get install coturn \(Debian package "coturn"\)/,
    );
  });
});
