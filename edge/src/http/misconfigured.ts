/** `503 misconfigured` for every request while the edge runs with public (development) secrets. */
import type { MiddlewareHandler } from 'hono';
import { MediaError } from '../../../shared/errors.ts';
import { insecureSecrets } from '../config.ts';
import { log } from '../log.ts';
import { type AppEnv, config } from './context.ts';

/** Clients learn that the edge is misconfigured, never which secret is known. */
const MESSAGE = 'the edge is misconfigured for this environment; its log says why';

/** Logged once per isolate: one clear line, not one per request. */
let logged = false;

export function refuseMisconfigured(): MiddlewareHandler<AppEnv> {
  return async function refuseMisconfigured(c, next) {
    const why = insecureSecrets(config(c));
    if (why !== undefined) {
      if (!logged) log('error', 'edge_misconfigured', { why });
      logged = true;
      throw new MediaError('misconfigured', MESSAGE);
    }
    await next();
  };
}
