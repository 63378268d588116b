/**
 * What the demo page reads from its link (after `#`, so it never reaches a server log) and how
 * a tab gets a name and a token of its own. Pure apart from the injected `fetch`, so it is
 * unit-tested in Node.
 *
 * `#token=<jwt>&room=<room>`: join with that token (what a deployment's users paste or get).
 * `#mint=<url>&key=<key>`: the link `npm start` prints: each tab asks the local stack's token
 * service (scripts/stack/demo-tokens.ts) for a token for its own name, so two tabs are two
 * devices and each one's caption on the other's screen is its own name.
 */

export interface DemoLink {
  token?: string;
  room?: string;
  /** The local token service, only ever on this machine's loopback. */
  mint?: { url: string; key: string };
}

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The token service runs beside the stack, on loopback; any other host in a link is refused. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function readDemoLink(hash: string): DemoLink {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const link: DemoLink = {};
  const token = params.get('token');
  const room = params.get('room');
  if (token) link.token = token;
  if (room) link.room = room;
  const mint = params.get('mint');
  const key = params.get('key');
  if (mint && key) {
    try {
      const url = new URL(mint);
      if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
        link.mint = { url: url.origin, key };
      }
    } catch {
      // Not a URL: ignored, the page then asks for a token.
    }
  }
  return link;
}

const STORAGE_KEY = 'media-demo-name';

/**
 * This tab's name: kept for the tab's life (sessionStorage survives reloads, and a new tab
 * starts empty), made up at random the first time, e.g. `guest-4821`.
 */
export function tabName(
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  random: () => number = Math.random,
): string {
  const kept = storage.getItem(STORAGE_KEY);
  if (kept && NAME.test(kept)) return kept;
  const name = `guest-${String(Math.floor(random() * 10_000)).padStart(4, '0')}`;
  storage.setItem(STORAGE_KEY, name);
  return name;
}

/** Remembers a name the user typed, for this tab. */
export function keepTabName(storage: Pick<Storage, 'setItem'>, name: string): void {
  storage.setItem(STORAGE_KEY, name);
}

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** Asks the local token service for a token for device `name`; throws with its message. */
export async function requestDemoToken(
  mint: NonNullable<DemoLink['mint']>,
  name: string,
  fetchFn: typeof fetch = fetch,
): Promise<string> {
  let res: Response;
  try {
    res = await fetchFn(`${mint.url}/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mint.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: name }),
    });
  } catch {
    throw new Error(
      'Could not reach the local token service: is npm start still running? (It prints a new link each time.)',
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    token?: unknown;
    error?: { message?: unknown };
  };
  if (res.ok && typeof body.token === 'string') return body.token;
  const message =
    typeof body.error?.message === 'string' ? body.error.message : `HTTP ${res.status}`;
  throw new Error(`The local token service refused: ${message}`);
}
