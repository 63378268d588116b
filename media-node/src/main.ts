/**
 * `npm run media-node`: one media node configured by environment variables (see README).
 *
 * Signals: the first SIGTERM/SIGINT drains (see ops/shutdown.ts) and exits 0; a second one
 * exits at once.
 *
 * Uncaught errors: werift runs timers and socket callbacks we cannot wrap (known upstream
 * problems: an uncaught TURN `TransactionFailed`, rejections from transports closed under a
 * pending send). Such an error concerns one peer connection, so it is logged and counted and
 * the node keeps serving its other sessions. Any other uncaught error means our own state may
 * be corrupt: the node logs it and exits 1 so the supervisor restarts it (the edge sees the
 * heartbeats stop and moves clients elsewhere).
 */

import { createMediaNode } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { isWeriftError } from './ops/werift-errors.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`media-node: invalid configuration\n${error.message}\n`);
  process.exit(1);
}

const log = createLogger(config);
const node = createMediaNode(config, log);

function onUncaught(kind: string) {
  return (error: unknown) => {
    if (isWeriftError(error)) {
      node.report(error, kind);
      return;
    }
    log.fatal({ err: error, kind }, 'fatal_error');
    process.exit(1);
  };
}
process.on('uncaughtException', onUncaught('uncaught_exception'));
process.on('unhandledRejection', onUncaught('unhandled_rejection'));

let signals = 0;
function onSignal(signal: NodeJS.Signals) {
  signals++;
  if (signals > 1) {
    log.warn({ signal }, 'forced_exit');
    process.exit(1);
  }
  node.shutdown().then(
    () => process.exit(0),
    (error: unknown) => {
      log.fatal({ err: error }, 'shutdown_failed');
      process.exit(1);
    },
  );
}
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

try {
  await node.start();
} catch (error) {
  // Stopping already: the signal handler ends the process once the shutdown logged `stopped`.
  if (signals === 0) {
    log.fatal({ err: error }, 'start_failed');
    process.exit(1);
  }
  log.warn({ err: error }, 'start_interrupted');
}
