/**
 * Typed calls to the public API (`/api/media`). One method per route; every non-2xx answer
 * becomes a thrown {@link MediaApiError}.
 */
import {
  type AnswerResponse,
  API_BASE,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type IceCandidateInit,
  type ListSessionsResponse,
  type RoomView,
  type SessionView,
  type SubscriptionChange,
  type SubscriptionView,
  sessionLinks,
} from '../shared/api.ts';
import { errorFromResponse, MediaTransportError } from './errors.ts';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface MediaApiOptions {
  /** Origin of the edge, e.g. `http://127.0.0.1:8787` (no trailing path). */
  baseUrl: string;
  /** Bearer token, or a function returning the current one (for refreshing tokens). */
  token: string | (() => string);
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Per-request timeout, in ms. */
  timeoutMs?: number;
}

export interface ListSessionsFilter {
  room?: string;
  device?: string;
  limit?: number;
  cursor?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class MediaApi {
  readonly baseUrl: string;
  readonly #token: () => string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(options: MediaApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const token = options.token;
    this.#token = typeof token === 'string' ? () => token : token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** `POST /sessions`. The idempotency key makes a retried create return the first result. */
  createSession(
    request: CreateSessionRequest,
    idempotencyKey: string = randomKey(),
  ): Promise<CreateSessionResponse> {
    return this.#json('POST', `${API_BASE}/sessions`, request, {
      'idempotency-key': idempotencyKey,
    });
  }

  listSessions(filter: ListSessionsFilter = {}): Promise<ListSessionsResponse> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined) query.set(key, String(value));
    }
    const qs = query.size > 0 ? `?${query}` : '';
    return this.#json('GET', `${API_BASE}/sessions${qs}`);
  }

  getSession(sessionId: string): Promise<SessionView> {
    return this.#json('GET', sessionLinks(sessionId).self);
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.#request('DELETE', sessionLinks(sessionId).self);
  }

  sendOffer(sessionId: string, sdp: string): Promise<AnswerResponse> {
    return this.#json('POST', sessionLinks(sessionId).offer, { type: 'offer', sdp });
  }

  async sendAnswer(sessionId: string, sdp: string): Promise<void> {
    await this.#request('POST', sessionLinks(sessionId).answer, { type: 'answer', sdp });
  }

  async sendCandidates(sessionId: string, candidates: IceCandidateInit[]): Promise<void> {
    await this.#request('POST', sessionLinks(sessionId).candidates, { candidates });
  }

  /**
   * `PUT /sessions/:id/subscriptions/:trackId`: caps (`maxLayer`) or pauses what this session
   * receives of one track, e.g. a thumbnail gets `q`, a hidden tile `paused: true`. The node
   * applies it within a second (a lower layer starts on its next keyframe).
   */
  setSubscription(
    sessionId: string,
    trackId: string,
    change: SubscriptionChange,
  ): Promise<SubscriptionView> {
    const path = `${sessionLinks(sessionId).self}/subscriptions/${encodeURIComponent(trackId)}`;
    return this.#json('PUT', path, change);
  }

  getRoom(room: string): Promise<RoomView> {
    return this.#json('GET', `${API_BASE}/rooms/${encodeURIComponent(room)}`);
  }

  /**
   * WebSocket URL of the session's events. Browsers cannot set headers on an upgrade, so the
   * token travels as `access_token`; `since` resumes after the last event received.
   */
  eventsUrl(sessionId: string, since: number): string {
    const url = new URL(sessionLinks(sessionId).events, this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('access_token', this.#token());
    url.searchParams.set('since', String(since));
    return url.toString();
  }

  async #json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const response = await this.#request(method, path, body, headers);
    try {
      // Response bodies are the edge's own typed replies; requests are what get validated.
      return (await response.json()) as T;
    } catch (error) {
      throw new MediaTransportError(`${method} ${path}: response is not JSON`, response.status, {
        cause: error,
      });
    }
  }

  async #request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const init: RequestInit = {
      method,
      headers: {
        authorization: `Bearer ${this.#token()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      signal: AbortSignal.timeout(this.#timeoutMs),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    let response: Response;
    try {
      response = await this.#fetch(this.baseUrl + path, init);
    } catch (error) {
      throw new MediaTransportError(`${method} ${path}: ${describe(error)}`, undefined, {
        cause: error,
      });
    }
    if (response.ok) return response;
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      parsed = undefined;
    }
    throw errorFromResponse(response.status, response.headers.get('retry-after'), parsed);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A random key for `Idempotency-Key`. */
export function randomKey(): string {
  return crypto.randomUUID();
}
