/**
 * Handlers we register on werift emitters run inside werift's own call stacks: a throw there
 * would break werift's emitter loop or surface as an uncaught exception. Every callback we
 * hand to werift goes through {@link guard}.
 */

/** Receives errors caught in callbacks; `where` is a short, bounded label. */
export type ErrorReporter = (error: unknown, where: string) => void;

/** Wraps `fn` so that neither a throw nor a rejected promise escapes it. */
export function guard<A extends unknown[]>(
  report: ErrorReporter,
  where: string,
  fn: (...args: A) => unknown,
): (...args: A) => void {
  return (...args: A) => {
    try {
      const result = fn(...args);
      if (result instanceof Promise) result.catch((error: unknown) => report(error, where));
    } catch (error) {
      report(error, where);
    }
  };
}
