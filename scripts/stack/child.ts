/**
 * A child process of the local stack: spawned in its own process group (so a Ctrl-C in the
 * terminal reaches only the supervisor, which then stops each child once, in order), its output
 * prefixed or written to a file, and stopped by PID with a deadline after which it is killed.
 * Every child is tethered to the watchdog (tether.ts), which ends it if the supervisor dies
 * without stopping it.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { tether } from './tether.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** `inherit`: lines prefixed with the name on our stdout; a path: appended to that file. */
  log: 'inherit' | { file: string };
  /** Signal the whole process group (for launchers such as wrangler that spawn their own). */
  group?: boolean;
  /** Open a pipe as the child's fd 3 and expose it as {@link Child.control} (workerd's
   * `--control-fd 3` reports there when its sockets listen). */
  controlFd?: boolean;
}

export class Child {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  /** The child's fd 3, when {@link ChildOptions.controlFd} asked for it. */
  readonly control: Readable | undefined;
  readonly #group: boolean;
  readonly #file: WriteStream | undefined;
  #exit: ExitInfo | undefined;

  constructor(options: ChildOptions) {
    this.name = options.name;
    this.#group = options.group ?? false;
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.controlFd ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined)
      throw new Error(`${options.name}: could not spawn ${options.command}`);
    this.pid = child.pid;
    const untether = tether(child.pid);
    this.control = options.controlFd ? (child.stdio[3] as Readable) : undefined;
    this.#file =
      options.log === 'inherit' ? undefined : createWriteStream(options.log.file, { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      if (this.#file) {
        stream.pipe(this.#file, { end: false });
      } else {
        const prefix = `[${options.name}] `;
        createInterface({ input: stream }).on('line', (line) =>
          process.stdout.write(prefix + line + '\n'),
        );
      }
    }
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        untether();
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      child.once('error', () => {
        untether();
        this.#exit ??= { code: null, signal: null };
        resolve(this.#exit);
      });
    });
    // The file stream closes once the process and its pipes are done.
    child.once('close', () => this.#file?.end());
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Sends `signal` to the process (or its group); a no-op once it exited. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.#group ? -this.pid : this.pid, signal);
    } catch {
      // Exited between the check and the kill.
    }
  }

  /** `signal`, then SIGKILL if it has not exited after `timeoutMs`. Resolves with the exit. */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo & { killed: boolean }> {
    this.signal(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return { ...first, killed: false };
    this.signal('SIGKILL');
    return { ...(await this.exited), killed: true };
  }
}
