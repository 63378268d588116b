/**
 * The error codes both services return, with their HTTP status.
 * Every error body is `{ error: { code, message, ...details } }`.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  /** An offer with no codec the node forwards (`offered` names what it had). */
  unsupported_codecs: 400,
  unauthorized: 401,
  forbidden: 403,
  session_not_found: 404,
  room_not_found: 404,
  not_found: 404,
  /** `PUT .../subscriptions/:trackId` names a track the session does not receive. */
  track_not_found: 404,
  /** The method is not one the resource takes (WHIP/WHEP; the `Allow` header lists them). */
  method_not_allowed: 405,
  invalid_state: 409,
  idempotency_conflict: 409,
  /** `If-Match` names another ETag than the WHIP/WHEP session's current one. */
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** A WHIP/WHEP ICE restart (PATCH with new credentials) without `If-Match`. */
  precondition_required: 428,
  too_many_ice_candidates: 429,
  rate_limited: 429,
  internal_error: 500,
  no_media_node: 503,
  media_node_unavailable: 503,
  capacity_exceeded: 503,
  draining: 503,
  misconfigured: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** Extra fields an error body may carry beside `code` and `message` (e.g. `limit`, `field`). */
export type ErrorDetails = Record<string, string | number | boolean | null | string[]>;

export interface ErrorBody {
  error: { code: ErrorCode; message: string } & ErrorDetails;
}

/**
 * A domain error: thrown anywhere, turned into the JSON error shape by each service's single
 * error handler. `retryAfterSeconds` becomes a `Retry-After` header.
 */
export class MediaError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly details: ErrorDetails;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'MediaError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  toBody(): ErrorBody {
    return { error: { ...this.details, code: this.code, message: this.message } };
  }
}

/** True when `value` looks like an error body (used by clients and the edge reading node replies). */
export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}
