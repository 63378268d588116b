import { describe, expect, it } from 'vitest';
import { nodeFailure, nodeUnavailable } from './node-errors.ts';

const body = (code: string, extra: object = {}) => ({
  error: { code, message: `m-${code}`, ...extra },
});

describe('node failures as client errors', () => {
  it('passes a node 4xx error body through with its status and details', () => {
    const e = nodeFailure('n', 429, body('too_many_ice_candidates', { limit: 50 }), null);
    expect(e.status).toBe(429);
    expect(e.toBody()).toEqual({
      error: { code: 'too_many_ice_candidates', message: 'm-too_many_ice_candidates', limit: 50 },
    });
    expect(nodeFailure('n', 409, body('invalid_state'), null).code).toBe('invalid_state');
  });

  it('maps busy nodes to 503 with Retry-After (the node value or a default)', () => {
    expect(nodeFailure('n', 503, body('draining'), '9')).toMatchObject({
      code: 'draining',
      retryAfterSeconds: 9,
    });
    expect(nodeFailure('n', 503, body('capacity_exceeded'), 'soon')).toMatchObject({
      retryAfterSeconds: 5,
    });
  });

  it('turns everything else into media_node_unavailable', () => {
    for (const [status, b] of [
      [500, body('internal_error')],
      [502, 'html'],
      [404, { nope: true }],
      [401, body('unauthorized')],
      [400, body('made_up_code')],
      [400, body('too_many_ice_candidates')],
    ] as const) {
      expect(nodeFailure('n', status, b, null).code).toBe('media_node_unavailable');
    }
    expect(nodeUnavailable('n', 'timeout')).toMatchObject({ status: 503, retryAfterSeconds: 1 });
  });
});
