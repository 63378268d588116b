/**
 * The secrets committed to this repository for local development (`.dev.vars`) and the
 * placeholders of its example files. They are public: outside local development both services
 * refuse to run with them (the edge answers `503 misconfigured`, a node fails `/readyz`).
 */

/** Every committed development secret and example placeholder. */
export const DEVELOPMENT_SECRETS: readonly string[] = [
  'local-dev-jwt-secret-change-me',
  'local-dev-node-secret-change-me',
  'change-me-to-the-wrangler-secret-value',
  'change-me-to-the-output-of-npm-run-node-key',
];

/**
 * True for a committed development value or a placeholder (anything with `change-me` in it:
 * the marker every committed example carries, so a new example cannot slip through).
 */
export function isDevelopmentSecret(value: string): boolean {
  return DEVELOPMENT_SECRETS.includes(value) || /change-?me/i.test(value);
}
