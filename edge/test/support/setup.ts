// Isolated storage per test: every Durable Object (shards and the global registry) is deleted
// after each test, so nodes or sessions of one test never influence another's placement.
import { reset } from 'cloudflare:test';
import { afterEach } from 'vitest';

afterEach(async () => {
  await reset();
});
