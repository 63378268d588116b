/** Starts the webhook receiver (and the fake media node) for the webhook Workers tests. */
import type { TestProject } from 'vitest/node';
import { TEST_NODE_SECRET } from './fake-node-protocol.ts';
import { startFakeNodeServer } from './fake-node-server.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';
import { TEST_WEBHOOK_SECRET } from './webhook-secret.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    webhookPort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const node = await startFakeNodeServer(TEST_NODE_SECRET);
  const receiver = await startWebhookReceiver(TEST_WEBHOOK_SECRET);
  project.provide('fakeNodePort', node.port);
  project.provide('webhookPort', receiver.port);
  return async () => {
    await receiver.close();
    await node.close();
  };
}
