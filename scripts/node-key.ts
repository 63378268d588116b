/**
 * Prints the key of one media node, derived from the edge's master secret:
 *   NODE_SHARED_SECRET=<master> npm run -s node-key -- <node id>
 * Give the node only this value (`NODE_KEY`) and its `NODE_ID`: a node that holds the master
 * could sign as any node. Without NODE_SHARED_SECRET, the development value in .dev.vars is used
 * (a key only a local stack accepts).
 */
import { readFileSync } from 'node:fs';
import { NAME_PATTERN } from '../shared/limits.ts';
import { deriveNodeKey } from '../shared/signing.ts';

const USAGE = 'usage: NODE_SHARED_SECRET=<master> npm run -s node-key -- <node id>';

function devMaster(): string | undefined {
  try {
    const text = readFileSync(new URL('../.dev.vars', import.meta.url), 'utf8');
    return text.match(/^NODE_SHARED_SECRET=(.*)$/m)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

const [nodeId, extra] = process.argv.slice(2);
if (!nodeId || extra !== undefined || !NAME_PATTERN.test(nodeId)) {
  console.error(`a node id (1-64 of A-Z a-z 0-9 _ . : -) is required\n${USAGE}`);
  process.exit(2);
}
const master = process.env.NODE_SHARED_SECRET || devMaster();
if (!master) {
  console.error(`NODE_SHARED_SECRET is not set and .dev.vars has none\n${USAGE}`);
  process.exit(2);
}
console.log(await deriveNodeKey(master, nodeId));
