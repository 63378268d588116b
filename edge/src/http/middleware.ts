/** The edge's middleware, each a small factory returning a named handler. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { MediaError } from '../../../shared/errors.ts';
import { verifyToken } from '../auth/token.ts';
import { log } from '../log.ts';
import { type AppEnv, config } from './context.ts';

const TOO_LARGE = 'the request body is larger than the limit';

/** Gives every request an id (echoed in `x-request-id`) and logs one line when it ends. */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const requestId = crypto.randomUUID();
    const started = Date.now();
    c.set('requestId', requestId);
    await next();
    // A 101 carries the WebSocket; its headers are the runtime's and must stay untouched.
    if (c.res.status !== 101) c.header('x-request-id', requestId);
    // The route pattern, never the raw URL: query strings may carry an access token.
    log('info', 'request', {
      requestId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Date.now() - started,
    });
  };
}

/** 413 `payload_too_large` for bodies over MAX_BODY_BYTES, before anything parses them. */
export function limitBody(): MiddlewareHandler<AppEnv> {
  return async function limitBody(c, next) {
    const maxSize = config(c).MAX_BODY_BYTES;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new MediaError('payload_too_large', TOO_LARGE, { limit: maxSize });
      },
    })(c, next);
  };
}

/**
 * Authenticates the client (401 without a valid token). WebSocket upgrades may pass
 * `?access_token=` instead, since browsers cannot set headers on them.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const header = c.req.header('authorization');
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    const token = bearer ?? (upgrade ? c.req.query('access_token') : undefined);
    c.set('caller', await verifyToken(config(c).JWT_SECRET, token));
    await next();
  };
}
