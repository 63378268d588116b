/** Who may touch what: a device its own sessions, a room-bound token its room, admins all. */
import { MediaError } from '../../../shared/errors.ts';
import { isPrivateRoom } from '../session/ids.ts';
import type { Caller } from './token.ts';

const PRIVATE_NAMESPACE = 'room names starting with "p-" are reserved for private rooms';

/** 403 unless the caller may act on a session of `ownerDeviceId` in `room`. */
export function assertSessionAccess(caller: Caller, ownerDeviceId: string, room: string): void {
  if (caller.admin) return;
  if (caller.deviceId !== ownerDeviceId) {
    throw new MediaError('forbidden', 'this session belongs to another device');
  }
  if (caller.room !== undefined && caller.room !== room) {
    throw new MediaError('forbidden', 'the token does not allow this room');
  }
}

/** 403 unless the caller may join or look at `room`. */
export function assertRoomAccess(caller: Caller, room: string): void {
  if (caller.admin || caller.room === undefined || caller.room === room) return;
  throw new MediaError('forbidden', 'the token does not allow this room', { room });
}

/**
 * The room a new session goes to: the requested one (if the token allows it), or the token's
 * room when it names one, or undefined for a private room. Names of the private namespace
 * (`p-...`, a session's room of one) are the edge's own: a client naming one could otherwise
 * join another session's private room (`p-<its id>`), so they are refused.
 */
export function roomForNewSession(
  caller: Caller,
  requested: string | undefined,
): string | undefined {
  if (requested !== undefined) {
    if (isPrivateRoom(requested)) {
      throw new MediaError('invalid_request', PRIVATE_NAMESPACE, { field: 'room' });
    }
    assertRoomAccess(caller, requested);
    return requested;
  }
  if (caller.admin) return undefined;
  if (caller.room !== undefined && isPrivateRoom(caller.room)) {
    throw new MediaError('forbidden', `the token's room: ${PRIVATE_NAMESPACE}`);
  }
  return caller.room;
}

/** 403 unless the caller has the `admin` scope. */
export function assertAdmin(caller: Caller): void {
  if (!caller.admin) throw new MediaError('forbidden', 'this call needs the admin scope');
}
