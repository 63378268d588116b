/** The Hono environment of the edge app and small helpers every route uses. */
import type { Context } from 'hono';
import { shardFor } from '../../../shared/hash.ts';
import type { Caller } from '../auth/token.ts';
import { type EdgeConfig, loadConfig } from '../config.ts';
import type { Env } from '../env.ts';

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; caller: Caller };
}

export type AppContext = Context<AppEnv>;

export function config(c: AppContext): EdgeConfig {
  return loadConfig(c.env);
}

/** The shard that owns `key` (a session id, or the idempotency key's hash input). */
export function shardStub(c: AppContext, key: string) {
  return c.env.SESSION_SHARD.getByName(`shard-${shardFor(key, config(c).SHARD_COUNT)}`);
}

export function shardByIndex(c: AppContext, index: number) {
  return c.env.SESSION_SHARD.getByName(`shard-${index}`);
}

export function registry(c: AppContext) {
  return c.env.NODE_REGISTRY.getByName('global');
}
