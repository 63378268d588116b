import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTcpFrame } from 'werift';
import { IceTcpMux } from './ice-tcp-mux.ts';

let mux: IceTcpMux | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await mux?.close();
  mux = undefined;
});

/** Connects, writes `bytes`, resolves when the mux closes the connection. */
function closedAfter(port: number, bytes: Buffer): Promise<'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    sockets.push(socket);
    socket.on('error', () => {});
    socket.once('close', () => resolve('closed'));
    setTimeout(() => reject(new Error('still open after 2 s')), 2_000);
  });
}

/** A STUN Binding request (RFC 5389) with USERNAME `username`, no integrity. */
function bindingRequest(username: string): Buffer {
  const value = Buffer.from(username);
  const padded = Buffer.alloc(Math.ceil(value.length / 4) * 4);
  value.copy(padded);
  const attr = Buffer.alloc(4);
  attr.writeUInt16BE(0x0006, 0);
  attr.writeUInt16BE(value.length, 2);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(4 + padded.length, 2);
  header.writeUInt32BE(0x2112a442, 4);
  return Buffer.concat([header, attr, padded]);
}

describe('ICE-TCP mux', () => {
  it('hands a connection to the protocol whose ufrag the first request names, bytes intact', async () => {
    mux = await IceTcpMux.listen('127.0.0.1', 0);
    const got: Buffer[] = [];
    const owner = {
      localIp: '127.0.0.1',
      localCandidate: { ufrag: 'nodeufrag' },
      registerSocket(socket: Socket) {
        socket.on('data', (d: Buffer) => got.push(d));
      },
    };
    mux.adopt({ ...owner, localCandidate: { ufrag: 'other' } });
    mux.adopt(owner);
    const frame = encodeTcpFrame(bindingRequest('nodeufrag:clientufrag'));
    const socket = connect({ host: '127.0.0.1', port: mux.port }, () => socket.write(frame));
    sockets.push(socket);
    await expect.poll(() => Buffer.concat(got).equals(frame)).toBe(true);
  });

  it('closes a connection for no session here, or that is not STUN, or too long', async () => {
    mux = await IceTcpMux.listen('127.0.0.1', 0);
    const port = mux.port;
    expect(await closedAfter(port, encodeTcpFrame(bindingRequest('nobody:client')))).toBe('closed');
    expect(await closedAfter(port, encodeTcpFrame(Buffer.from('GET / HTTP/1.1\r\n\r\n')))).toBe(
      'closed',
    );
    // A length prefix of 65535 with more than one MTU of bytes behind it: never a STUN request.
    const huge = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(1600)]);
    expect(await closedAfter(port, huge)).toBe('closed');
  });
});
