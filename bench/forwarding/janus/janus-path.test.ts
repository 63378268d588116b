import { describe, expect, it } from 'vitest';
import type { ModeOptions } from '../run-mode.ts';
import { runJanusPath } from './janus-path.ts';

describe('janus path', () => {
  it('says it is skipped, and runs nothing, when Janus is not installed', async () => {
    const lines: string[] = [];
    const mode = { log: (l: string) => lines.push(l) } as unknown as ModeOptions;
    expect(await runJanusPath(mode, '/nonexistent/janus')).toBeUndefined();
    expect(lines).toEqual(['janus not installed, skipped']);
  });
});
