/**
 * ICE over TCP with one listening port per node (RFC 6544 passive candidates, RFC 4571 framing).
 *
 * werift 0.25.2 gives each ICE agent its own `TcpPassiveProtocol` with its own listening server
 * on a random port: a port per session, which no firewall rule can name. This mux listens once
 * (`ICE_TCP_PORT`, e.g. 443) and hands each accepted connection to the session it is for: the
 * first frame a client sends is a STUN Binding request whose USERNAME is
 * `<our ufrag>:<client ufrag>` (RFC 8445 7.2.2) and a MESSAGE-INTEGRITY under our ICE password;
 * every passive protocol knows its agent (and so the agent's ufrag and password). werift's
 * protocol then owns the socket as if its own server had accepted it. A connection that does not
 * start with such an authenticated request within a few seconds, or names no session here, is
 * closed: werift itself answers requests without checking MESSAGE-INTEGRITY (stun-auth.ts).
 *
 * Sockets cannot move between worker threads, so the mux serves the thread it runs in: the node
 * refuses `ICE_TCP_PORT` with worker threads (config.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, splitTcpFrames, TcpPassiveProtocol } from 'werift';
import { type IceCredentials, isAuthenticatedBinding, stunKind } from '../stun-auth.ts';

/** Bytes a connection may send before its first complete frame (one STUN request fits). */
const MAX_FIRST_FRAME_BYTES = 2 + 1500;
/** A connection silent this long before its first frame is closed, in ms. */
const FIRST_FRAME_TIMEOUT_MS = 5_000;
/** The werift ICE agent fields the mux reads (werift 0.25.2 `Connection`). */
export interface IceAgentCredentials {
  localUsername: string;
  localPassword: string;
  userHistory?: Record<string, string>;
}

/** Each passive protocol's ICE agent, recorded when the agent adopts it (see the patch below). */
const agentOf = new WeakMap<object, IceAgentCredentials>();

/** Records `agent` as the owner of `protocol` (the werift patch does; tests may too). */
export function rememberAgent(protocol: object, agent: IceAgentCredentials): void {
  agentOf.set(protocol, agent);
}

function credentialsOf(agent: IceAgentCredentials): IceCredentials {
  return {
    ufrag: agent.localUsername,
    passwordFor: (ufrag) =>
      ufrag === agent.localUsername ? agent.localPassword : agent.userHistory?.[ufrag],
  };
}

/** The parts of werift's passive protocol the mux uses (all public in its JS). */
interface PassiveProtocol {
  localIp: string | undefined;
  registerSocket(socket: Socket, remoteAddr: [string, number]): unknown;
}

export class IceTcpMux {
  readonly port: number;
  readonly #server: Server;
  readonly #protocols = new Set<PassiveProtocol>();
  readonly #pending = new Set<Socket>();
  #closed = false;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Listens on `host:port` (port 0: a free one, for tests). */
  static async listen(host: string, port: number): Promise<IceTcpMux> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('ICE-TCP mux: no port');
    return new IceTcpMux(server, address.port);
  }

  /** Sessions whose agents can take connections now. */
  get size(): number {
    return this.#protocols.size;
  }

  adopt(protocol: PassiveProtocol): void {
    if (!this.#closed) this.#protocols.add(protocol);
  }

  release(protocol: PassiveProtocol): void {
    this.#protocols.delete(protocol);
  }

  /** Stops listening and closes connections not yet handed to a session. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#pending) socket.destroy();
    this.#protocols.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    const remote: [string, number] | undefined =
      socket.remoteAddress && socket.remotePort
        ? [socket.remoteAddress, socket.remotePort]
        : undefined;
    if (!remote || this.#closed) {
      socket.destroy();
      return;
    }
    this.#pending.add(socket);
    let buffered = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      this.#pending.delete(socket);
    };
    const timer = setTimeout(() => {
      done();
      socket.destroy();
    }, FIRST_FRAME_TIMEOUT_MS);
    socket.on('error', () => {});
    socket.once('close', done);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const [first] = splitTcpFrames(buffered).frames;
      if (!first) {
        if (buffered.length > MAX_FIRST_FRAME_BYTES) {
          done();
          socket.destroy();
        }
        return;
      }
      done();
      const protocol = this.#owner(first);
      if (!protocol) {
        socket.destroy();
        return;
      }
      // From here werift reads the socket; replay what the mux consumed.
      protocol.registerSocket(socket, remote);
      socket.emit('data', buffered);
    };
    socket.on('data', onData);
  }

  /** The protocol whose agent the authenticated Binding request in `frame` is addressed to. */
  #owner(frame: Buffer): PassiveProtocol | undefined {
    if (stunKind(frame) !== 'binding_request') return undefined;
    for (const p of this.#protocols) {
      const agent = agentOf.get(p);
      if (!agent) continue;
      if (isAuthenticatedBinding(frame, credentialsOf(agent))) return p;
    }
    return undefined;
  }
}

let installed: IceTcpMux | undefined;

/**
 * Makes every werift `TcpPassiveProtocol` of this thread use `mux` instead of a listening
 * server of its own (`undefined` restores werift's behaviour). A patch of werift's prototype:
 * werift builds these protocols inside its ICE agent, with no hook to pass a listener in.
 */
export function installIceTcpMux(mux: IceTcpMux | undefined): void {
  installed = mux;
}

type PassiveProto = {
  connectionMade(localIp: string, portRange?: [number, number]): Promise<void>;
  close(): Promise<void>;
};
const proto = TcpPassiveProtocol.prototype as unknown as PassiveProto;
const weriftPort = Object.getOwnPropertyDescriptor(
  TcpPassiveProtocol.prototype,
  'listeningPort',
)?.get;
if (!weriftPort)
  throw new Error('werift changed: TcpPassiveProtocol.listeningPort is not a getter');
const werift = {
  connectionMade: proto.connectionMade,
  close: proto.close,
  listeningPort: weriftPort,
};
const muxOf = new WeakMap<object, IceTcpMux>();

// werift's agent calls ensureProtocol(protocol) for each protocol it creates, before gathering
// on it: the one place a passive protocol can learn which agent (credentials) it serves.
const agentProto = Connection.prototype as unknown as {
  ensureProtocol(this: IceAgentCredentials, protocol: object): unknown;
};
const weriftEnsure = agentProto.ensureProtocol;
if (typeof weriftEnsure !== 'function')
  throw new Error('werift changed: no Connection.ensureProtocol');
agentProto.ensureProtocol = function (this: IceAgentCredentials, protocol: object) {
  if (protocol instanceof TcpPassiveProtocol) agentOf.set(protocol, this);
  return weriftEnsure.call(this, protocol);
};

proto.connectionMade = async function (
  this: PassiveProtocol,
  localIp: string,
  portRange?: [number, number],
) {
  const mux = installed;
  if (!mux) return werift.connectionMade.call(this, localIp, portRange);
  this.localIp = localIp;
  muxOf.set(this, mux);
  mux.adopt(this);
};
Object.defineProperty(TcpPassiveProtocol.prototype, 'listeningPort', {
  configurable: true,
  get(this: object) {
    return muxOf.get(this)?.port ?? werift.listeningPort.call(this);
  },
});
proto.close = async function (this: PassiveProtocol) {
  muxOf.get(this)?.release(this);
  return werift.close.call(this);
};
