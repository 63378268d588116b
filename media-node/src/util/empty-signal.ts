/** Waiters for "no session left": `wait` resolves true when `fire` is called, false on timeout. */
export class EmptySignal {
  readonly #waiters = new Set<() => void>();

  wait(emptyNow: boolean, timeoutMs: number): Promise<boolean> {
    if (emptyNow) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (empty: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(onEmpty);
        resolve(empty);
      };
      const onEmpty = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(onEmpty);
    });
  }

  fire(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
