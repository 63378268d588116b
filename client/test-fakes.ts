/**
 * Fakes for the SDK's unit tests: a scripted events socket, an in-memory peer connection and a
 * fetch that answers like the edge. Only the parts that need no network are faked.
 */

import { type IceCandidateInit, sessionLinks } from '../shared/api.ts';
import type { EventBody } from '../shared/events.ts';
import { MediaApi } from './api.ts';
import type { SocketFactory, SocketHandlers, SocketLike } from './event-stream.ts';
import type {
  PeerAdapter,
  PeerConnectionState,
  RemoteTrack,
  SessionDescriptionInit,
} from './peer.ts';

export class FakeSocket implements SocketLike {
  readonly sent: string[] = [];
  closed = false;
  readonly url: string;
  readonly handlers: SocketHandlers;

  constructor(url: string, handlers: SocketHandlers) {
    this.url = url;
    this.handlers = handlers;
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.handlers.open();
  }

  push(seq: number, body: EventBody, sessionId = 's1'): void {
    this.handlers.message(
      JSON.stringify({ ...body, seq, sessionId, at: new Date(0).toISOString() }),
    );
  }

  drop(code = 1006, reason = ''): void {
    this.handlers.close(code, reason);
  }

  get acks(): number[] {
    return this.sent
      .map((s) => JSON.parse(s) as { type: string; seq: number })
      .filter((f) => f.type === 'ack')
      .map((f) => f.seq);
  }
}

/** Records every socket it opens; `autoOpen` opens them on the next microtask. */
export function fakeSockets(autoOpen = true): { factory: SocketFactory; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const factory: SocketFactory = (url, handlers) => {
    const socket = new FakeSocket(url, handlers);
    sockets.push(socket);
    if (autoOpen) queueMicrotask(() => socket.open());
    return socket;
  };
  return { factory, sockets };
}

export class FakePeer implements PeerAdapter<string> {
  connectionState: PeerConnectionState = 'new';
  readonly calls: string[] = [];
  readonly remoteCandidates: Array<IceCandidateInit | null> = [];
  #candidate: Array<(c: IceCandidateInit | null) => void> = [];
  #state: Array<(s: PeerConnectionState) => void> = [];
  #track: Array<(t: RemoteTrack<string>) => void> = [];
  #offers = 0;

  async createOffer(options?: { iceRestart?: boolean }): Promise<SessionDescriptionInit> {
    this.calls.push(options?.iceRestart ? 'createOffer:iceRestart' : 'createOffer');
    this.#offers += 1;
    return { type: 'offer', sdp: `offer-${this.#offers}` };
  }

  async createAnswer(): Promise<SessionDescriptionInit> {
    this.calls.push('createAnswer');
    return { type: 'answer', sdp: 'client-answer' };
  }

  async setLocalDescription(d: SessionDescriptionInit): Promise<SessionDescriptionInit> {
    this.calls.push(`setLocal:${d.type}`);
    return d;
  }

  async setRemoteDescription(d: SessionDescriptionInit): Promise<void> {
    this.calls.push(`setRemote:${d.type}:${d.sdp}`);
  }

  async addIceCandidate(c: IceCandidateInit | null): Promise<void> {
    this.remoteCandidates.push(c);
  }

  onIceCandidate(l: (c: IceCandidateInit | null) => void): () => void {
    this.#candidate.push(l);
    return () => {};
  }

  onConnectionStateChange(l: (s: PeerConnectionState) => void): () => void {
    this.#state.push(l);
    return () => {};
  }

  onTrack(l: (t: RemoteTrack<string>) => void): () => void {
    this.#track.push(l);
    return () => {};
  }

  close(): void {
    this.calls.push('close');
    this.connectionState = 'closed';
  }

  gather(c: IceCandidateInit | null): void {
    for (const l of this.#candidate) l(c);
  }

  setState(s: PeerConnectionState): void {
    this.connectionState = s;
    for (const l of this.#state) l(s);
  }

  addTrack(t: RemoteTrack<string>): void {
    for (const l of this.#track) l(t);
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export type Route = (req: RecordedRequest) => {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

/** A fetch that records requests and answers from `route`. */
export function fakeFetch(route: Route): {
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  requests: RecordedRequest[];
} {
  const requests: RecordedRequest[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const req: RecordedRequest = {
      method: init.method ?? 'GET',
      url: input,
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(req);
    const res = route(req);
    return new Response(res.body === undefined ? null : JSON.stringify(res.body), {
      status: res.status,
      headers: { 'content-type': 'application/json', ...res.headers },
    });
  };
  return { fetch, requests };
}

/** Resolves after pending microtasks and `ms` of timers. */
export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Answers like the edge: sessions s1, s2, ...; `fail` may replace any answer. */
export function fakeEdge(
  fail?: (req: RecordedRequest) => { status: number; body?: unknown } | undefined,
) {
  let next = 0;
  return fakeFetch((req) => {
    const failure = fail?.(req);
    if (failure) return failure;
    const path = new URL(req.url).pathname;
    if (req.method === 'POST' && path === '/api/media/sessions') {
      next += 1;
      const sessionId = `s${next}`;
      return {
        status: 201,
        body: {
          sessionId,
          room: 'r',
          state: 'new',
          node: { id: `n${next}`, region: 'local' },
          iceServers: [],
          expiresAt: new Date(0).toISOString(),
          links: sessionLinks(sessionId),
        },
      };
    }
    if (path.endsWith('/offer'))
      return { status: 200, body: { type: 'answer', sdp: 'server-answer' } };
    return { status: 204 };
  });
}

/** An API on {@link fakeEdge}, fake sockets, and a peer factory that records its peers. */
export function setup(fail?: Parameters<typeof fakeEdge>[0]) {
  const http = fakeEdge(fail);
  const api = new MediaApi({ baseUrl: 'http://edge', token: 't0k', fetch: http.fetch });
  const { factory, sockets } = fakeSockets();
  const peers: FakePeer[] = [];
  const peerFactory = () => {
    const peer = new FakePeer();
    peers.push(peer);
    return peer;
  };
  return { api, http, sockets, peers, peerFactory, socketFactory: factory };
}
