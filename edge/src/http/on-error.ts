/**
 * The edge's single error path: every error becomes `{error:{code,message,...}}` with its status.
 * Unknown errors are logged with the request id and answered as a plain 500.
 */
import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { type ErrorCode, MediaError } from '../../../shared/errors.ts';
import { log } from '../log.ts';
import type { AppEnv } from './context.ts';
import { invalid } from './parse.ts';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Turns any thrown value into the `MediaError` to answer with, or undefined when unknown. */
export function toMediaError(err: unknown): MediaError | undefined {
  if (err instanceof MediaError) return err;
  if (err instanceof z.ZodError) return invalid(err);
  if (err instanceof HTTPException) {
    const code = STATUS_CODES[err.status];
    if (code) return new MediaError(code, err.message || code.replaceAll('_', ' '));
  }
  return undefined;
}

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const requestId = c.get('requestId') ?? 'none';
  const known = toMediaError(err);
  if (known) {
    if (known.retryAfterSeconds !== undefined) {
      c.header('retry-after', String(known.retryAfterSeconds));
    }
    return c.json(known.toBody(), known.status);
  }
  log('error', 'unhandled_error', {
    requestId,
    route: c.req.routePath,
    method: c.req.method,
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  });
  return c.json({ error: { code: 'internal_error', message: 'internal error', requestId } }, 500);
};
