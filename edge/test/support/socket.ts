/** A test client for the event WebSocket that records what it receives. */
import type { SessionEvent } from '../../../shared/events.ts';
import { call } from './edge.ts';

export interface EventClient {
  ws: WebSocket;
  /** Parsed frames in arrival order. */
  frames: Array<SessionEvent | { type: 'pong' }>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `predicate` holds for the frames (or rejects after `ms`). */
  until(predicate: (frames: EventClient['frames']) => boolean, ms?: number): Promise<void>;
  send(frame: unknown): void;
}

export async function openEvents(
  path: string,
  tok: string | null,
  viaQuery = false,
): Promise<EventClient> {
  const url =
    viaQuery && tok ? `${path}${path.includes('?') ? '&' : '?'}access_token=${tok}` : path;
  const headers: Record<string, string> = { upgrade: 'websocket' };
  if (tok && !viaQuery) headers.authorization = `Bearer ${tok}`;
  const res = await call(url, { headers });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`upgrade ${res.status}: ${await res.text()}`);
  const frames: EventClient['frames'] = [];
  const waiters = new Set<() => void>();
  ws.accept();
  ws.addEventListener('message', (e) => {
    frames.push(JSON.parse(String(e.data)));
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason }));
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(JSON.stringify(frame)),
    until(predicate, ms = 3_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate(frames)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; frames: ${JSON.stringify(frames.map((f) => f.type))}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The close of `client`, or code -1 if it did not close within `ms` (keeps failures fast). */
export function closedWithin(
  client: EventClient,
  ms = 3_000,
): Promise<{ code: number; reason: string }> {
  const timeout = new Promise<{ code: number; reason: string }>((resolve) =>
    setTimeout(() => resolve({ code: -1, reason: 'not closed in time' }), ms),
  );
  return Promise.race([client.closed, timeout]);
}
