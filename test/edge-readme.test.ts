/**
 * Issue 12 item 16: edge/README.md's curl walk-through works as written. Runs the README's own
 * `sh` block (after `### curl`) with bash against the real stack, with `curl` failing on any
 * HTTP error status, so a step that answers 4xx/5xx (as `candidates` did after a fake offer)
 * fails the test.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/stack/stack.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

/** The first fenced `sh` block after `heading` in `markdown`. */
function shellBlockAfter(markdown: string, heading: string): string {
  const from = markdown.indexOf(heading);
  if (from < 0) throw new Error(`no "${heading}" in the README`);
  const block = /```sh\n([\s\S]*?)```/.exec(markdown.slice(from));
  if (!block?.[1]) throw new Error(`no sh block after "${heading}"`);
  return block[1];
}

function runBash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('edge/README.md', () => {
  it('its curl walk-through runs as written, every call answering 2xx', async () => {
    const readme = await readFile(join(ROOT, 'edge/README.md'), 'utf8');
    const block = shellBlockAfter(readme, '### curl');
    expect(block).toContain('E=http://127.0.0.1:8787\n');
    const script = [
      'set -euo pipefail',
      // --fail-with-body: exit non-zero on an HTTP error status, and still print the body.
      'curl() { command curl --fail-with-body --max-time 30 "$@"; }',
      'TOKEN=$(npm run -s token -- --device dev-1)',
      'ADMIN=$(npm run -s token -- --device ops --admin)',
      block.replace('E=http://127.0.0.1:8787\n', `E=${stack.edgeUrl}\n`),
    ].join('\n');
    const { code, stdout, stderr } = await runBash(script);
    if (code !== 0)
      console.error(`stdout:\n${stdout}\nstderr:\n${stderr}\n${await stack.logTail()}`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/"state":"new"/);
    expect(stdout).toContain('"type":"answer"');
    expect(stdout).toContain('"state":"negotiating"');
    expect(stdout).toContain('media_edge_http_requests_total');
  });
});
