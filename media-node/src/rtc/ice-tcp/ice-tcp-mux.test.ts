import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTcpFrame } from 'werift';
import { IceTcpMux, rememberAgent } from './ice-tcp-mux.ts';

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

/** A STUN Binding request (RFC 8489) with USERNAME and, given a password, MESSAGE-INTEGRITY. */
function bindingRequest(username: string, password?: string): Buffer {
  const value = Buffer.from(username);
  const padded = Buffer.alloc(Math.ceil(value.length / 4) * 4);
  value.copy(padded);
  const attr = Buffer.alloc(4);
  attr.writeUInt16BE(0x0006, 0);
  attr.writeUInt16BE(value.length, 2);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(0x2112a442, 4);
  header.fill(7, 8, 20);
  const body = Buffer.concat([attr, padded]);
  if (password === undefined) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', password)
    .update(Buffer.concat([header, body]))
    .digest();
  const integrity = Buffer.alloc(4);
  integrity.writeUInt16BE(0x0008, 0);
  integrity.writeUInt16BE(20, 2);
  return Buffer.concat([header, body, integrity, mac]);
}

/** A stand-in for werift's passive protocol: collects what it is handed. */
function fakeProtocol(ufrag: string, password: string) {
  const got: Buffer[] = [];
  const protocol = {
    localIp: '127.0.0.1',
    registerSocket(socket: Socket) {
      socket.on('data', (d: Buffer) => got.push(d));
    },
  };
  rememberAgent(protocol, { localUsername: ufrag, localPassword: password });
  return { protocol, got };
}

describe('ICE-TCP mux', () => {
  it('hands a connection to the session its authenticated request names, bytes intact', async () => {
    mux = await IceTcpMux.listen('127.0.0.1', 0);
    const other = fakeProtocol('other', 'other-password-0123456');
    const owner = fakeProtocol('nodeufrag', 'node-password-0123456789');
    mux.adopt(other.protocol);
    mux.adopt(owner.protocol);
    const frame = encodeTcpFrame(
      bindingRequest('nodeufrag:clientufrag', 'node-password-0123456789'),
    );
    const socket = connect({ host: '127.0.0.1', port: mux.port }, () => socket.write(frame));
    sockets.push(socket);
    await expect.poll(() => Buffer.concat(owner.got).equals(frame)).toBe(true);
    expect(other.got).toEqual([]);
  });

  it('closes a connection whose request has no or a wrong MESSAGE-INTEGRITY', async () => {
    mux = await IceTcpMux.listen('127.0.0.1', 0);
    const owner = fakeProtocol('nodeufrag', 'node-password-0123456789');
    mux.adopt(owner.protocol);
    const unsigned = encodeTcpFrame(bindingRequest('nodeufrag:client'));
    const forged = encodeTcpFrame(bindingRequest('nodeufrag:client', 'guessed-password-000000'));
    expect(await closedAfter(mux.port, unsigned)).toBe('closed');
    expect(await closedAfter(mux.port, forged)).toBe('closed');
    expect(owner.got).toEqual([]);
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
