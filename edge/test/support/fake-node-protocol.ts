/** What the tests and the fake media node say to each other (no Node or Workers APIs here). */
import { z } from 'zod';

/**
 * How a virtual node answers: `ok` behaves, `hang` never answers, `error500` fails,
 * `capacity` refuses with 503 capacity_exceeded + Retry-After 7, `reject409` refuses with
 * 409 invalid_state.
 */
export const fakeNodeModeSchema = z.enum(['ok', 'hang', 'error500', 'capacity', 'reject409']);
export type FakeNodeMode = z.infer<typeof fakeNodeModeSchema>;

/** One request the fake node received; `signature` is `ok` or the verify failure. */
export interface FakeNodeRecord {
  method: string;
  /** Path below the virtual node's base, e.g. `/internal/v1/sessions/x/offer`. */
  path: string;
  body: string;
  signature: string;
}

/** The shared secret both sides of the tests use (also set in edge/vitest.config.mts). */
export const TEST_NODE_SECRET = 'test-node-secret-0123456789';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789';
