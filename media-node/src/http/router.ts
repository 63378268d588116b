/** A tiny method + path-pattern router (`/sessions/:id/offer`); the pattern is the metrics route. */

export interface Match<H> {
  route: string;
  params: Record<string, string>;
  handler: H;
}

interface Entry<H> {
  method: string;
  route: string;
  regex: RegExp;
  keys: string[];
  handler: H;
}

export class Router<H> {
  readonly #entries: Entry<H>[] = [];

  add(method: string, route: string, handler: H): this {
    const keys: string[] = [];
    const source = route
      .split('/')
      .map((part) => {
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.#entries.push({ method, route, regex: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  /** The handler for `method` + `path` (no query), `'method'` if only the method is wrong. */
  match(method: string, path: string): Match<H> | 'method' | undefined {
    let pathMatched = false;
    for (const e of this.#entries) {
      const m = e.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (e.method !== method) continue;
      const params: Record<string, string> = {};
      for (const [i, key] of e.keys.entries()) {
        try {
          params[key] = decodeURIComponent(m[i + 1] ?? '');
        } catch {
          return undefined;
        }
      }
      return { route: e.route, params, handler: e.handler };
    }
    return pathMatched ? 'method' : undefined;
  }
}
