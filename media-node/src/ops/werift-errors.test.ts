import { describe, expect, it } from 'vitest';
import { isWeriftError } from './werift-errors.ts';

describe('isWeriftError', () => {
  it('accepts errors raised from werift frames and TURN TransactionFailed', () => {
    const fromWerift = new Error('Not running');
    fromWerift.stack =
      'Error: Not running\n    at Socket.send (node:dgram:1:1)\n    at UdpTransport.send (/app/node_modules/werift/lib/common/src/transport.js:112:29)';
    expect(isWeriftError(fromWerift)).toBe(true);
    class TransactionFailed extends Error {}
    expect(isWeriftError(new TransactionFailed('timeout'))).toBe(true);
  });

  it('rejects our own errors and non-errors', () => {
    expect(isWeriftError(new Error('ours'))).toBe(false);
    expect(isWeriftError('string')).toBe(false);
  });
});
