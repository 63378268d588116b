/** Runs async tasks one at a time, in order (signaling steps of one peer connection). */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it; its result or error is returned. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    // The chain must survive a failed task, so the stored tail never rejects.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
