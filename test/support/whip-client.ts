/**
 * Debian's simple-whip-client (`/usr/bin/whip-client`, GStreamer webrtcbin) publishing
 * videotestsrc + audiotestsrc over WHIP, on loopback only: no STUN or TURN server is given, and
 * the preloaded shim (whip-client-shim.c, compiled here with the system's cc) makes libnice
 * gather only 127.0.0.1 and keeps libsoup 3 out of the process (PLATFORM-NOTES).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

export const WHIP_CLIENT = '/usr/bin/whip-client';
const SHIM_SOURCE = new URL('./whip-client-shim.c', import.meta.url).pathname;

/** Compiles the shim into `dir`; fails (never skips) without whip-client or a C compiler. */
export async function buildWhipShim(dir: string): Promise<string> {
  await access(WHIP_CLIENT).catch(() => {
    throw new Error(`${WHIP_CLIENT} is missing: install the Debian package simple-whip-client`);
  });
  const out = join(dir, 'libgupnp-igd-shim.so');
  await promisify(execFile)('cc', [
    '-shared',
    '-fPIC',
    '-O2',
    '-Wl,-soname,libgupnp-igd-1.0.so.4',
    '-o',
    out,
    SHIM_SOURCE,
  ]);
  return out;
}

export interface WhipClientOptions {
  url: string;
  token: string;
  shim: string;
  /** vp8enc's key frame interval in frames (30 fps): large means only PLIs bring key frames. */
  keyframeMaxDist: number;
  width: number;
  height: number;
}

export interface WhipClient {
  child: ChildProcess;
  /** When each log line was first seen (performance.now()), by the line's text. */
  seen(text: string): number | undefined;
  until(text: string, timeoutMs?: number): Promise<number>;
  /** The session resource URL the edge answered with. */
  resourceUrl(): string | undefined;
  log(): string;
  /** SIGINT (whip-client DELETEs its resource), then waits for the exit. */
  stop(): Promise<void>;
}

export function startWhipClient(o: WhipClientOptions): WhipClient {
  const video =
    `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${o.width},height=${o.height},framerate=30/1 ` +
    `! videoconvert ! queue ! vp8enc deadline=1 keyframe-max-dist=${o.keyframeMaxDist} ` +
    '! rtpvp8pay pt=96 ssrc=2 picture-id-mode=15-bit ! queue ! application/x-rtp,media=video,encoding-name=VP8,payload=96';
  const audio =
    'audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! queue ! opusenc ' +
    '! rtpopuspay pt=111 ssrc=1 ! queue ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111';
  // stdbuf: line-buffered stdout, so the log lines carry their real time.
  const child = spawn(
    'stdbuf',
    ['-oL', WHIP_CLIENT, '-u', o.url, '-t', o.token, '-o', '-l', '4', '-A', audio, '-V', video],
    { env: { ...process.env, LD_PRELOAD: o.shim } },
  );
  const lines: Array<{ at: number; text: string }> = [];
  const waiters = new Set<() => void>();
  const onLine = (text: string) => {
    lines.push({ at: performance.now(), text });
    if (lines.length > 2_000) lines.splice(0, 1_000);
    for (const w of [...waiters]) w();
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const seen = (text: string) => lines.find((l) => l.text.includes(text))?.at;
  const log = () => lines.map((l) => l.text).join('\n');
  return {
    child,
    seen,
    log,
    resourceUrl: () => /Resource URL: (\S+)/.exec(log())?.[1],
    until: (text, timeoutMs = 15_000) =>
      new Promise<number>((resolve, reject) => {
        const check = () => {
          const at = seen(text);
          if (at === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(at);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`whip-client: "${text}" not within ${timeoutMs} ms\n${log()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
