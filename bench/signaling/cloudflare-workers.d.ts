/**
 * The slice of `cloudflare:workers` the benchmark's baseline worker uses. The root tsconfig
 * checks bench/ with Node's types, not the Workers' (which the edge's own tsconfig has).
 */
declare module 'cloudflare:workers' {
  interface SqlStorage {
    exec(query: string, ...bindings: unknown[]): unknown;
  }
  interface DurableObjectState {
    storage: { sql: SqlStorage };
    blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  }
  export abstract class DurableObject<Env = unknown> {
    constructor(ctx: DurableObjectState, env: Env);
    protected ctx: DurableObjectState;
    protected env: Env;
  }
}
