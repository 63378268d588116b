/**
 * One delivery attempt: a signed POST to the receiver, with a deadline, no redirects followed
 * (a redirect could send the event to an address nobody configured), and the verdict the
 * outbox acts on.
 */
import { webhookHeaders } from './signing.ts';

export type AttemptResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: 410 }
  | { kind: 'failed'; status: number | null; error?: string };

export type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

/** Maps a receiver's status to what happens to the delivery. */
export function classifyStatus(status: number): AttemptResult {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 410) return { kind: 'gone', status: 410 };
  return { kind: 'failed', status };
}

export async function attemptDelivery(
  fetcher: Fetcher,
  key: CryptoKey,
  delivery: { id: string; url: string; body: string },
  timeoutMs: number,
  now: number,
): Promise<AttemptResult> {
  const headers = await webhookHeaders(key, delivery.id, Math.floor(now / 1000), delivery.body);
  try {
    const res = await fetcher(delivery.url, {
      method: 'POST',
      headers: { ...headers, 'user-agent': 'media-edge-webhooks/1' },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not needed; reading it frees the connection.
    await res.body?.cancel().catch(() => {});
    return classifyStatus(res.status);
  } catch (err) {
    return { kind: 'failed', status: null, error: String(err) };
  }
}
