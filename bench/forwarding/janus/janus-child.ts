/**
 * The Janus path's harness, run by janus-path.ts inside a network namespace of its own:
 * `node janus-child.ts <mode options JSON file> <result JSON file>`. Runs the same step loop as
 * the media node's paths (run-mode.ts) on a Janus rig and writes the `ModeResult`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type ModeOptions, runMode } from '../run-mode.ts';
import { startJanusRig } from './janus-rig.ts';

const [optionsFile, resultFile] = process.argv.slice(2);
if (!optionsFile || !resultFile) throw new Error('usage: janus-child.ts <options> <result>');
const options = JSON.parse(readFileSync(optionsFile, 'utf8')) as Omit<ModeOptions, 'log'>;
const result = await runMode({
  ...options,
  startRig: startJanusRig,
  log: (line) => console.log(line),
});
writeFileSync(resultFile, JSON.stringify(result));
process.exit(0);
