/**
 * `waitListening`: the stack trusts only its own workerd's report on the control pipe (fd 3) that
 * its socket listens, never a health check another process could answer. Real child processes
 * stand in for workerd here.
 */
import { describe, expect, it } from 'vitest';
import { Child } from './child.ts';
import { waitListening } from './workerd-edge.ts';

function fakeWorkerd(script: string): Child {
  return new Child({
    name: 'fake-workerd',
    command: process.execPath,
    args: ['-e', script],
    log: 'inherit',
    controlFd: true,
  });
}

describe('waitListening', () => {
  it('resolves with the port workerd reports on its control pipe', async () => {
    const child = fakeWorkerd(
      `require('fs').writeSync(3, '{"event":"other"}\\n{"event":"listen","socket":"http","port":18787}\\n'); setTimeout(() => {}, 5000)`,
    );
    try {
      expect(await waitListening(child, 5_000)).toBe(18787);
    } finally {
      await child.stop('SIGKILL', 1_000);
    }
  });

  it('rejects when workerd exits before listening (e.g. its port is taken)', async () => {
    const child = fakeWorkerd('process.exit(3)');
    await expect(waitListening(child, 5_000)).rejects.toThrow(/exited \(code 3\) before listening/);
  });

  it('rejects when workerd never reports', async () => {
    const child = fakeWorkerd('setTimeout(() => {}, 5000)');
    try {
      await expect(waitListening(child, 300)).rejects.toThrow(
        /did not report listening within 300/,
      );
    } finally {
      await child.stop('SIGKILL', 1_000);
    }
  });
});
