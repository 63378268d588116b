/** What route handlers receive and return. */
export interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The raw body text (already size-checked and, for internal routes, signature-checked). */
  body: string;
}

export interface Reply {
  status: number;
  /** Serialized as JSON unless `text` is given. */
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route {
  /** Internal routes need a valid HMAC signature; ops routes (/metrics, probes) do not. */
  signed: boolean;
  handle(ctx: RequestContext): Promise<Reply> | Reply;
}
