/**
 * `npm run ops:check`: promtool over the alert rules (syntax, then the unit tests in
 * alerts.test.yml) and the scrape configuration.
 * `promtool check config` fails when a `credentials_file` is missing, and the edge job reads its
 * admin token from the gitignored `edge-admin-token`: create it first (signed with JWT_SECRET,
 * else the development secret in .dev.vars), which is also what a local scrape needs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const tokenFile = `${dir}edge-admin-token`;
/**
 * A day, the edge's default `MAX_TOKEN_TTL_S` (longer tokens are refused). Prometheus reads the
 * file at every scrape: rotate it by rewriting the file (this script does past half its life).
 */
const TOKEN_TTL_SECONDS = 86_400;
const stale = (file: string) =>
  Date.now() - statSync(file).mtimeMs > (TOKEN_TTL_SECONDS / 2) * 1000;

if (!existsSync(tokenFile) || stale(tokenFile)) {
  const script = fileURLToPath(new URL('../../scripts/token.ts', import.meta.url));
  const token = execFileSync(
    process.execPath,
    [script, '--device', 'prometheus', '--admin', '--ttl', String(TOKEN_TTL_SECONDS)],
    { encoding: 'utf8' },
  ).trim();
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  console.log(`wrote ${tokenFile}`);
}

for (const args of [
  ['check', 'rules', `${dir}alerts.yml`],
  ['test', 'rules', `${dir}alerts.test.yml`],
  ['check', 'config', `${dir}prometheus.yml`],
]) {
  execFileSync('promtool', args, { stdio: 'inherit' });
}
