/**
 * The interop matrix (stack x mode x codec, setup time): each interop test records its cell
 * once its checks passed, in `test-artifacts/interop-matrix.jsonl` (the README's table is
 * copied from a run of it).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS } from './setup-times.ts';

export interface InteropCell {
  stack: string;
  mode: 'echo' | 'room';
  codec: string;
  /** Offer posted -> the session's `connected` event, in ms. */
  setupMs: number;
}

export async function recordInterop(cell: InteropCell): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  const line = { ...cell, setupMs: Math.round(cell.setupMs), at: new Date().toISOString() };
  await appendFile(join(ARTIFACTS, 'interop-matrix.jsonl'), `${JSON.stringify(line)}\n`);
  console.info(
    `[interop] ${cell.stack} ${cell.mode} ${cell.codec}: pass, setup ${line.setupMs} ms`,
  );
}
