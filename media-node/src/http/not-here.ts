/**
 * What a media node answers for a path it does not serve. The public API (`/api/media/...`)
 * lives on the edge; a user who points a client or a load tool (the guide's `hey` line) at a
 * node got bare 404s at thousands per second and took them for the API. Outside `/internal/`,
 * the 404 says where the API is, with the edge URL this node reports to.
 */
import { API_BASE } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';

const INTERNAL_PREFIX = '/internal/';

/** The `404 not_found` for `pathname`; `edgeUrl` is the node's configured edge, if any. */
export function notHereError(pathname: string, edgeUrl: string | undefined): MediaError {
  if (pathname.startsWith(INTERNAL_PREFIX)) return new MediaError('not_found', 'no such route');
  const edge = edgeUrl?.replace(/\/+$/, '');
  const api = edge ? `${edge}${API_BASE}` : undefined;
  return new MediaError(
    'not_found',
    api
      ? `this is a media node, not the API: the public API is on the edge, at ${api}`
      : `this is a media node, not the API: the public API (${API_BASE}) is on the edge`,
    api ? { apiUrl: api } : {},
  );
}
