/**
 * coturn (Debian package `coturn`, /usr/bin/turnserver) for the local stack and the tests:
 * a TURN server with the TURN REST scheme (`use-auth-secret`), listening and relaying on one
 * loopback address only, with a temporary config file, in the foreground (no daemon), logging to
 * its Child's log, stopped by PID. It never asks anyone for its public address (no STUN, no
 * external-ip) and serves no STUN binding either (`no-stun`), so nothing leaves the machine.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Child } from './child.ts';
import { waitFor } from './wait.ts';

/** Where Debian's `coturn` package installs the server. */
export const TURNSERVER = '/usr/bin/turnserver';
/** What to install when it is missing (the message tests fail with). */
export const COTURN_MISSING = `coturn is not installed (${TURNSERVER} missing): apt-get install coturn (Debian package "coturn")`;

export interface CoturnOptions {
  /** The one loopback address it listens and relays on. */
  host: string;
  /** TURN port, UDP and TCP both. */
  port: number;
  /** Inclusive UDP port range of relay addresses (keep it small and free). */
  relayPorts: [number, number];
  /** `static-auth-secret`, the edge's `TURN_SECRET`. */
  secret: string;
  /** Directory for the config file and coturn's user database. */
  workDir: string;
  log: 'inherit' | { file: string };
  name?: string;
  /** The turnserver binary (default: Debian's). */
  binary?: string;
  /** How long it may take to accept TCP connections, in ms. */
  timeoutMs?: number;
}

export interface Coturn {
  child: Child;
  /** `turn:` urls for UDP and TCP, the edge's `TURN_URLS` order. */
  urls: string[];
  secret: string;
}

/** True when the Debian package is installed. */
export function coturnInstalled(): boolean {
  return existsSync(TURNSERVER);
}

/** A fresh random secret for `static-auth-secret` / `TURN_SECRET`. */
export function newTurnSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The turnserver.conf text (exported for its unit test). */
export function coturnConfig(o: CoturnOptions): string {
  return [
    `listening-ip=${o.host}`,
    `relay-ip=${o.host}`,
    `listening-port=${o.port}`,
    `min-port=${o.relayPorts[0]}`,
    `max-port=${o.relayPorts[1]}`,
    // The media nodes are on loopback too: coturn refuses loopback peers unless told.
    'allow-loopback-peers',
    'use-auth-secret',
    `static-auth-secret=${o.secret}`,
    'realm=local-stack',
    'fingerprint',
    'no-stun',
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-multicast-peers',
    'no-software-attribute',
    // The SQLite user database would default to /var/lib/turn (root's); REST auth never uses it.
    `userdb=${join(o.workDir, 'turndb')}`,
    `pidfile=${join(o.workDir, 'turnserver.pid')}`,
    'log-file=stdout',
    'simple-log',
    '',
  ].join('\n');
}

/** Starts coturn in the foreground; resolves once its TCP port accepts connections. */
export async function startCoturn(o: CoturnOptions): Promise<Coturn> {
  const binary = o.binary ?? TURNSERVER;
  if (!existsSync(binary)) throw new Error(COTURN_MISSING.replace(TURNSERVER, binary));
  const conf = join(o.workDir, 'turnserver.conf');
  await writeFile(conf, coturnConfig(o), { mode: 0o600 });
  const child = new Child({
    name: o.name ?? 'coturn',
    command: binary,
    args: ['-c', conf],
    log: o.log,
  });
  try {
    await waitFor('coturn', () => tcpAccepts(o.host, o.port), {
      timeoutMs: o.timeoutMs ?? 10_000,
      abort: () => (child.running ? undefined : 'turnserver exited (see its log)'),
    });
  } catch (error) {
    await child.stop('SIGKILL', 1_000);
    throw error;
  }
  const where = `${o.host}:${o.port}`;
  return {
    child,
    urls: [`turn:${where}?transport=udp`, `turn:${where}?transport=tcp`],
    secret: o.secret,
  };
}

function tcpAccepts(host: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
  });
}
