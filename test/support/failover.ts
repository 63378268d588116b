/** Shared steps of the failover tests: a room of two on one node, and waiting for the rejoin. */
import type { SessionEndReason } from '../../client/session.ts';
import type { TestStack } from './stack.ts';
import { joinWerift, type WeriftParticipant } from './werift-participant.ts';

/** Two participants in `room`, media flowing both ways. */
export async function pairInRoom(
  stack: TestStack,
  room: string,
  test: string,
): Promise<[WeriftParticipant, WeriftParticipant]> {
  const a = await joinWerift({ api: await stack.api(`${room}-a`), room, name: 'a', test });
  const b = await joinWerift({ api: await stack.api(`${room}-b`), room, name: 'b', test });
  await a.until('frames from b', () => a.framesFrom(b.sessionId()) >= 5);
  await b.until('frames from a', () => b.framesFrom(a.sessionId()) >= 5);
  return [a, b];
}

/** True once `p` was told its session `sessionId` ended for `reason` (state or closed event). */
export function toldEnded(
  p: WeriftParticipant,
  sessionId: string,
  reason: SessionEndReason,
): boolean {
  return p.events.some(
    (e) =>
      e.sessionId === sessionId &&
      ((e.type === 'state' && e.state === 'failed' && e.reason === reason) ||
        (e.type === 'closed' && e.reason === reason)),
  );
}

/** Waits until both rejoined on a node other than `lostNode` and get each other's media again. */
export async function rejoinedElsewhere(
  a: WeriftParticipant,
  b: WeriftParticipant,
  old: { a: string; b: string },
  lostNode: string,
  timeoutMs: number,
): Promise<void> {
  const moved = (p: WeriftParticipant, previous: string) =>
    p.until(
      'rejoined on another node',
      () => p.sessionId() !== previous && p.sessionId() !== '' && p.nodeId() !== lostNode,
      timeoutMs,
    );
  await Promise.all([moved(a, old.a), moved(b, old.b)]);
  await Promise.all([
    a.until('frames from b after rejoin', () => a.framesFrom(b.sessionId()) >= 5, timeoutMs),
    b.until('frames from a after rejoin', () => b.framesFrom(a.sessionId()) >= 5, timeoutMs),
  ]);
}
