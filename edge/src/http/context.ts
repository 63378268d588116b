/** The Hono environment of the edge app and small helpers every route uses. */
import type { Context } from 'hono';
import { shardFor } from '../../../shared/hash.ts';
import type { Caller } from '../auth/token.ts';
import { type EdgeConfig, loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { placerName } from '../placement/placer-name.ts';

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

export function shardByIndex(c: AppContext, index: number, hint?: DurableObjectLocationHint) {
  return namedObject(c.env.SESSION_SHARD, `shard-${index}`, hint);
}

/** The room placer `index` (placement/placer-name.ts). */
export function placer(c: AppContext, index: number, hint?: DurableObjectLocationHint) {
  return namedObject(c.env.ROOM_PLACER, placerName(index), hint);
}

/**
 * The object named `name`; with a location hint when the caller knows where its client is.
 * Cloudflare applies a hint only when the object is first created, and only as a preference
 * (it may place the object elsewhere); an object that exists stays where it is.
 */
function namedObject<T extends Rpc.DurableObjectBranded | undefined>(
  ns: DurableObjectNamespace<T>,
  name: string,
  hint: DurableObjectLocationHint | undefined,
): DurableObjectStub<T> {
  return hint ? ns.get(ns.idFromName(name), { locationHint: hint }) : ns.getByName(name);
}

export function registry(c: AppContext) {
  return c.env.NODE_REGISTRY.getByName('global');
}
