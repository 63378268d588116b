/** Polling helpers for start-up: bounded in time, with the last failure in the timeout message. */

/** Calls `probe` every `intervalMs` until it returns a value other than undefined. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    const reason = options.abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not ready after ${options.timeoutMs} ms (${last})`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/** Resolves once `url` answers 2xx. */
export function waitHttpOk(
  url: string,
  options: { timeoutMs: number; abort?: () => string | undefined },
): Promise<true> {
  return waitFor(
    `GET ${url}`,
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return true as const;
    },
    { intervalMs: 100, ...options },
  );
}
