/**
 * A client of Janus's HTTP API for the benchmark: one session for every handle, one long-poll
 * loop that hands each asynchronous event to whoever sent the message it answers (by
 * `transaction`), plus the plugin requests the videoroom path needs.
 */

export interface JanusEvent {
  janus: string;
  transaction?: string;
  sender?: number;
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: { type: 'offer' | 'answer'; sdp: string };
  error?: { code: number; reason: string };
  /** Replies to `create` and `attach`: the new session's or handle's id. */
  data?: { id?: number };
}

export class JanusSession {
  readonly url: string;
  readonly id: number;
  readonly #waiting = new Map<string, (e: JanusEvent) => void>();
  #tx = 0;
  #closed = false;
  #poll: Promise<void> = Promise.resolve();

  private constructor(url: string, id: number) {
    this.url = url;
    this.id = id;
  }

  /** Creates a session on the Janus at `url` (`http://127.0.0.1:port/janus`) and starts polling. */
  static async create(url: string): Promise<JanusSession> {
    const res = await post(url, { janus: 'create', transaction: 'create' });
    const id = res.data?.id;
    if (res.janus !== 'success' || typeof id !== 'number') {
      throw new Error(`janus create: ${JSON.stringify(res)}`);
    }
    const s = new JanusSession(url, id);
    s.#poll = s.#pollLoop();
    return s;
  }

  /** Attaches a handle to `plugin`; returns its id. */
  async attach(plugin: string): Promise<number> {
    const res = await this.#send({ janus: 'attach', plugin });
    const id = res.data?.id;
    if (res.janus !== 'success' || typeof id !== 'number') {
      throw new Error(`janus attach: ${JSON.stringify(res)}`);
    }
    return id;
  }

  /** A synchronous plugin request (`create`, `list`...): the plugin's reply data. */
  async request(handle: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.#send({ janus: 'message', body }, handle);
    const data = res.plugindata?.data;
    if (res.janus !== 'success' || !data || data.error) {
      throw new Error(`janus ${String(body.request)}: ${JSON.stringify(res)}`);
    }
    return data;
  }

  /**
   * An asynchronous plugin request (`join`, `joinandconfigure`, `start`): resolves with the event
   * that answers it, rejects on an error reply or event, or after `timeoutMs`.
   */
  async message(
    handle: number,
    body: Record<string, unknown>,
    jsep?: { type: string; sdp: string },
    timeoutMs = 20_000,
  ): Promise<JanusEvent> {
    const transaction = `t${++this.#tx}`;
    const event = new Promise<JanusEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(transaction);
        reject(new Error(`janus ${String(body.request)}: no event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(transaction, (e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
    const ack = await post(`${this.url}/${this.id}/${handle}`, {
      janus: 'message',
      transaction,
      body,
      ...(jsep ? { jsep } : {}),
    });
    if (ack.janus !== 'ack') {
      this.#waiting.delete(transaction);
      throw new Error(`janus ${String(body.request)}: ${JSON.stringify(ack)}`);
    }
    const e = await event;
    const data = e.plugindata?.data;
    if (e.janus === 'error' || !data || data.error) {
      throw new Error(`janus ${String(body.request)}: ${JSON.stringify(e.error ?? data)}`);
    }
    return e;
  }

  /** Tells Janus the handle's peer has no more candidates (they are all in its SDP). */
  async trickleDone(handle: number): Promise<void> {
    await this.#send({ janus: 'trickle', candidate: { completed: true } }, handle);
  }

  async detach(handle: number): Promise<void> {
    await this.#send({ janus: 'detach' }, handle).catch(() => {});
  }

  async destroy(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await post(`${this.url}/${this.id}`, { janus: 'destroy', transaction: 'destroy' }).catch(
      () => {},
    );
    await this.#poll;
  }

  async #send(msg: Record<string, unknown>, handle?: number): Promise<JanusEvent> {
    const path =
      handle === undefined ? `${this.url}/${this.id}` : `${this.url}/${this.id}/${handle}`;
    return post(path, { ...msg, transaction: `t${++this.#tx}` });
  }

  async #pollLoop(): Promise<void> {
    while (!this.#closed) {
      try {
        const res = await fetch(`${this.url}/${this.id}?maxev=100&rid=${Date.now()}`);
        const body = (await res.json()) as JanusEvent | JanusEvent[];
        for (const e of Array.isArray(body) ? body : [body]) {
          const waiter = e.transaction ? this.#waiting.get(e.transaction) : undefined;
          // Acks and keepalives carry no plugin data; only the answering event settles a request.
          if (waiter && (e.plugindata || e.janus === 'error')) {
            this.#waiting.delete(e.transaction as string);
            waiter(e);
          }
        }
      } catch {
        if (!this.#closed) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

async function post(url: string, body: unknown): Promise<JanusEvent> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return (await res.json()) as JanusEvent;
}
