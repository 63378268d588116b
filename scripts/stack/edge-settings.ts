/**
 * The edge's settings for the local stack, from three layers, later ones winning:
 *   1. `[vars]` in wrangler.toml (what a deploy uses),
 *   2. `.dev.vars` (the local development secrets),
 *   3. environment variables of the same name (`HEARTBEAT_TIMEOUT_MS=5000 npm start`).
 * Only names the first two layers define are settings: the rest of the environment (PATH,
 * HOME...) never becomes a Worker binding.
 */

export interface EdgeSettingSources {
  /** wrangler.toml `[vars]`; non-string values are passed as JSON text, as wrangler does. */
  vars: Record<string, unknown>;
  devVars: Record<string, string>;
  env: NodeJS.ProcessEnv;
}

export function resolveEdgeSettings(sources: EdgeSettingSources): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(sources.vars)) {
    settings[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  Object.assign(settings, sources.devVars);
  for (const name of Object.keys(settings)) {
    const fromEnv = sources.env[name];
    if (fromEnv !== undefined) settings[name] = fromEnv;
  }
  return settings;
}

/** The names whose value came from the environment (wrangler dev gets them as `--var`). */
export function envOverrides(sources: EdgeSettingSources): Record<string, string> {
  const resolved = resolveEdgeSettings(sources);
  return Object.fromEntries(
    Object.keys(resolved)
      .filter((name) => sources.env[name] !== undefined)
      .map((name) => [name, resolved[name] ?? '']),
  );
}
