/**
 * Prints a client token for the local stack:
 *   npm run token -- --device <id> [--room <room>] [--admin] [--ttl <seconds>]
 * Signed with JWT_SECRET from the environment, or else the development value in .dev.vars.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_TOKEN_TTL_S, signToken } from '../edge/src/auth/token.ts';
import { NAME_PATTERN } from '../shared/limits.ts';

const USAGE = 'usage: npm run token -- --device <id> [--room <room>] [--admin] [--ttl <seconds>]';
/** Default lifetime: a working day, long enough for a local session, short enough to expire. */
const DEFAULT_TTL_SECONDS = 12 * 60 * 60;

function devVarsSecret(): string | undefined {
  try {
    const text = readFileSync(new URL('../.dev.vars', import.meta.url), 'utf8');
    return text.match(/^JWT_SECRET=(.*)$/m)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        device: { type: 'string' },
        room: { type: 'string' },
        admin: { type: 'boolean', default: false },
        ttl: { type: 'string' },
      },
      strict: true,
    });
  } catch (err) {
    return fail((err as Error).message);
  }
})();

if (!values.device) fail('--device is required');
for (const [flag, value] of [
  ['--device', values.device],
  ['--room', values.room],
] as const) {
  if (value !== undefined && !NAME_PATTERN.test(value)) {
    fail(`${flag} must be 1-64 characters of A-Z a-z 0-9 _ . : -`);
  }
}
const ttlSeconds = values.ttl === undefined ? DEFAULT_TTL_SECONDS : Number(values.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) fail('--ttl must be a positive integer');
if (ttlSeconds > DEFAULT_MAX_TOKEN_TTL_S) {
  console.error(
    `warning: an edge with the default MAX_TOKEN_TTL_S (${DEFAULT_MAX_TOKEN_TTL_S} s) refuses a token living ${ttlSeconds} s`,
  );
}
const secret = process.env.JWT_SECRET || devVarsSecret();
if (!secret) fail('JWT_SECRET is not set and .dev.vars has none');

const token = await signToken(secret, {
  device: values.device,
  room: values.room,
  admin: values.admin,
  ttlSeconds,
});
console.log(token);
