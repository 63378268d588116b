/**
 * How a media node's answer becomes the client's answer: a node that fails, hangs or cannot be
 * reached is `503 media_node_unavailable`; a node's own 4xx error is passed through with its
 * status; a full or draining node is `503` with `Retry-After`.
 */
import { ERROR_STATUS, type ErrorCode, isErrorBody, MediaError } from '../../../shared/errors.ts';

/** Default `Retry-After` (seconds) when a busy node does not say. */
export const NODE_RETRY_AFTER_S = 5;

function knownCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/** The error for an unreachable node (network error or timeout). */
export function nodeUnavailable(nodeId: string, why: string): MediaError {
  return new MediaError(
    'media_node_unavailable',
    `media node did not answer (${why})`,
    {
      node: nodeId,
    },
    1,
  );
}

/** Maps a non-2xx node reply to the error the client gets. */
export function nodeFailure(
  nodeId: string,
  status: number,
  body: unknown,
  retryAfterHeader: string | null,
): MediaError {
  const code = isErrorBody(body) && knownCode(body.error.code) ? body.error.code : undefined;
  const message = isErrorBody(body) ? body.error.message : `media node answered ${status}`;
  if (status === 503 && (code === 'capacity_exceeded' || code === 'draining')) {
    const retry = Number(retryAfterHeader);
    const seconds = Number.isInteger(retry) && retry > 0 ? retry : NODE_RETRY_AFTER_S;
    return new MediaError(code, message, { node: nodeId }, seconds);
  }
  if (status >= 400 && status < 500 && code && ERROR_STATUS[code] === status) {
    const { code: _c, message: _m, ...details } = (body as { error: Record<string, never> }).error;
    // A node's 401 means the edge's own signature was refused: a server problem, not the client's.
    if (code !== 'unauthorized' && code !== 'forbidden') {
      return new MediaError(code, message, details);
    }
  }
  return nodeUnavailable(nodeId, `status ${status}`);
}
