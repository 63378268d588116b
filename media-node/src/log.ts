/** Structured JSON logs (pino) with the node id on every line. */
import { type Logger, pino } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/** The process logger; writes JSON lines to stdout. */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeId'>): Logger {
  return pino({ level: config.logLevel, base: { nodeId: config.nodeId }, messageKey: 'msg' });
}
