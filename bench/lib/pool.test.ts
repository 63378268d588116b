import { describe, expect, it } from 'vitest';
import { listOption, numberOption, option } from './args.ts';
import { runPool } from './pool.ts';

describe('runPool', () => {
  it('keeps task order and never exceeds the concurrency', async () => {
    let running = 0;
    let peak = 0;
    const out = await runPool(10, 3, async (i) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, (10 - i) % 3));
      running -= 1;
      return i * 2;
    });
    expect(out).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(peak).toBe(3);
  });

  it('handles no tasks', async () => {
    expect(await runPool(0, 5, async () => 1)).toEqual([]);
  });
});

describe('benchmark options', () => {
  const argv = ['--seconds', '5', '--shards', '1,32', '--bad', 'x'];
  it('reads values, numbers and lists', () => {
    expect(option(argv, 'seconds')).toBe('5');
    expect(numberOption(argv, 'seconds', 8)).toBe(5);
    expect(numberOption(argv, 'missing', 8)).toBe(8);
    expect(listOption(argv, 'shards', [4])).toEqual([1, 32]);
    expect(listOption(argv, 'missing', [4])).toEqual([4]);
  });
  it('names the malformed option', () => {
    expect(() => numberOption(argv, 'bad', 1)).toThrow('--bad');
    expect(() => listOption(['--shards', '1,x'], 'shards', [])).toThrow('--shards');
  });
});

describe('CPU profile summary', async () => {
  const { topFunctions } = await import('./cdp.ts');
  it('ranks functions by self samples', () => {
    const frame = (functionName: string, line: number) => ({
      functionName,
      url: 'file:///x/index.js',
      lineNumber: line,
    });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('', 0) },
        { id: 2, callFrame: frame('verify', 9) },
        { id: 3, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      ],
      samples: [2, 2, 3, 1],
    };
    expect(topFunctions(profile, 2)).toEqual([
      { function: 'verify index.js:10', 'self %': 50 },
      { function: '(garbage collector)', 'self %': 25 },
    ]);
  });
});
