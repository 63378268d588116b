/** Starts the fake media node for the Workers-runtime tests and hands its port to them. */
import type { TestProject } from 'vitest/node';
import { TEST_NODE_SECRET } from './fake-node-protocol.ts';
import { startFakeNodeServer } from './fake-node-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeNodePort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startFakeNodeServer(TEST_NODE_SECRET);
  project.provide('fakeNodePort', server.port);
  return () => server.close();
}
