/** The shard of a session named in a URL. */
import { MediaError } from '../../../shared/errors.ts';
import { isSessionId } from '../session/ids.ts';
import { type AppContext, shardStub } from './context.ts';

/** 404 for ids that cannot exist, without waking a shard for them. */
export function sessionStub(c: AppContext, id: string) {
  if (!isSessionId(id))
    throw new MediaError('session_not_found', 'no such session', { sessionId: id.slice(0, 64) });
  return shardStub(c, id);
}
