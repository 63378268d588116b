/** Who may touch what: a device its own sessions, a room-bound token its room, admins all. */
import { MediaError } from '../../../shared/errors.ts';
import type { Caller } from './token.ts';

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
 * room when it names one, or undefined for a private room.
 */
export function roomForNewSession(
  caller: Caller,
  requested: string | undefined,
): string | undefined {
  if (requested !== undefined) {
    assertRoomAccess(caller, requested);
    return requested;
  }
  return caller.admin ? undefined : caller.room;
}

/** 403 unless the caller has the `admin` scope. */
export function assertAdmin(caller: Caller): void {
  if (!caller.admin) throw new MediaError('forbidden', 'this call needs the admin scope');
}
