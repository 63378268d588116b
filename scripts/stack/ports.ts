/**
 * The stack's ports must be free before it starts: otherwise its health checks would find
 * whatever already listens there (an older stack left running, say), print `ready` for someone
 * else's processes, and its own children would fail to bind.
 */
import { createServer } from 'node:net';

export interface NamedPort {
  /** What the port is for, e.g. `edge` or `node-30006`. */
  name: string;
  port: number;
}

/** Resolves when `port` can be bound on `host`, rejects with the bind error otherwise. */
function tryBind(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Throws an error naming every port of `ports` that cannot be bound on `host`, and why. */
export async function assertPortsFree(host: string, ports: NamedPort[]): Promise<void> {
  const busy: string[] = [];
  for (const { name, port } of ports) {
    try {
      await tryBind(host, port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      busy.push(
        code === 'EADDRINUSE'
          ? `port ${port} (${name}) on ${host} is already in use`
          : `port ${port} (${name}) on ${host} cannot be bound: ${code ?? String(error)}`,
      );
    }
  }
  if (busy.length > 0) {
    throw new PortsBusyError(
      `${busy.join('; ')}. Another stack (or another program) may be running: stop it, or ` +
        'start this one on other ports (--edge-port, --node-ports or EDGE_PORT, NODE_PORTS).',
    );
  }
}

export class PortsBusyError extends Error {
  override readonly name = 'PortsBusyError';
}
