/**
 * The SDK's exceptions. Every failed API call throws a {@link MediaApiError} carrying the
 * server's `{error:{code,message,...details}}`; a request that never got a JSON answer throws a
 * {@link MediaTransportError}.
 */
import { type ErrorCode, type ErrorDetails, isErrorBody } from '../shared/errors.ts';

export class MediaApiError extends Error {
  /** HTTP status of the response. */
  readonly status: number;
  /** The server's error code, e.g. `too_many_ice_candidates`. */
  readonly code: ErrorCode;
  /** Extra fields of the error body, e.g. `limit` or `field`. */
  readonly details: ErrorDetails;
  /** From the `Retry-After` header, in seconds, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'MediaApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request failed before a JSON answer arrived (network down, proxy error page, timeout). */
export class MediaTransportError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MediaTransportError';
    this.status = status;
  }
}

/** Builds the exception for a non-2xx response from its status, headers and parsed body. */
export function errorFromResponse(
  status: number,
  retryAfter: string | null,
  body: unknown,
): MediaApiError | MediaTransportError {
  if (!isErrorBody(body)) {
    return new MediaTransportError(`HTTP ${status} without an error body`, status);
  }
  const { code, message, ...details } = body.error;
  const seconds = retryAfter === null ? undefined : Number(retryAfter);
  return new MediaApiError(
    status,
    code,
    message,
    details,
    seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined,
  );
}

/** True for failures worth retrying later: the platform was busy or a node went away. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof MediaTransportError) return true;
  if (!(error instanceof MediaApiError)) return false;
  return (
    error.code === 'rate_limited' ||
    error.code === 'no_media_node' ||
    error.code === 'media_node_unavailable' ||
    error.code === 'capacity_exceeded' ||
    error.code === 'draining'
  );
}
