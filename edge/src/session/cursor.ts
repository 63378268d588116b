/**
 * Listing cursors: the shard and the last session id returned. Sessions are ordered by
 * (shard, id), so a page boundary stays put while sessions come and go.
 */
import { z } from 'zod';
import { MediaError } from '../../../shared/errors.ts';

const cursorSchema = z.object({ s: z.number().int().min(0), k: z.string().max(64) });
export type ListCursor = z.infer<typeof cursorSchema>;

export function encodeCursor(cursor: ListCursor): string {
  return btoa(JSON.stringify(cursor)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Decodes a client-supplied cursor; 400 `invalid_request` (field `cursor`) when it is not ours. */
export function decodeCursor(text: string, shardCount: number): ListCursor {
  try {
    const json = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
    const cursor = cursorSchema.parse(JSON.parse(json));
    if (cursor.s < shardCount) return cursor;
  } catch {
    // falls through to the uniform error below
  }
  throw new MediaError('invalid_request', 'cursor is not valid', { field: 'cursor' });
}
