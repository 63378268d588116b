/** Classifies uncaught errors: those thrown from werift's internals are survivable. */

/** True when `error` originates in werift (by its stack or its known error names). */
export function isWeriftError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TransactionFailed' || error.constructor?.name === 'TransactionFailed') {
    return true;
  }
  // Any werift frame counts: errors such as ERR_SOCKET_DGRAM_NOT_RUNNING are thrown by Node
  // core but called from werift. Our own callbacks into werift are wrapped by util/guard.ts,
  // so a werift frame here does not hide a bug of ours.
  return /[\\/]node_modules[\\/]werift[\\/]/.test(error.stack ?? '');
}
