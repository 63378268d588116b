/** `--name value` command-line options for the benchmarks (numbers and lists only). */

/** The value after `--name` in `argv`, or undefined. */
export function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** A positive number option, or `fallback`; throws with the option's name when malformed. */
export function numberOption(argv: readonly string[], name: string, fallback: number): number {
  const raw = option(argv, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** A comma-separated list of positive integers, e.g. `--shards 1,32`. */
export function listOption(argv: readonly string[], name: string, fallback: number[]): number[] {
  const raw = option(argv, name);
  if (raw === undefined) return fallback;
  const values = raw.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new Error(`--${name} must be a comma-separated list of positive integers`);
  }
  return values;
}
