/**
 * Protocol-wide limits and timings shared by the edge and the media nodes.
 * Each deployment may lower or raise the configurable ones through its own config;
 * these are the defaults and the hard bounds the schemas enforce.
 */

/** ICE candidates a client may trickle per session (the guide's limit A). */
export const MAX_ICE_CANDIDATES = 50;

/** Candidates accepted in one `POST .../candidates` request. */
export const MAX_CANDIDATES_PER_REQUEST = 50;

/** Events buffered per event socket before the consumer counts as stalled (the guide's limit B). */
export const EVENT_QUEUE_LIMIT = 256;

/** How long a consumer may stay stalled on a full queue before its socket is closed, in ms. */
export const SLOW_CONSUMER_GRACE_MS = 1_000;

/** WebSocket close code for a consumer that fell behind (4000-4999 are application codes). */
export const CLOSE_SLOW_CONSUMER = 4008;
/**
 * Events kept per session for resuming (`?since=`); older ones are deleted as new ones arrive.
 * Four times the send window: a consumer that falls further behind is closed long before.
 */
export const EVENT_LOG_LIMIT = 1_024;
/** WebSocket close code for a resume from before the kept events: the client must rejoin. */
export const CLOSE_RESUME_GAP = 4009;
/** WebSocket close code when the session ended. */
export const CLOSE_SESSION_ENDED = 4000;
/** Event sockets open at once per session; a newer one closes the oldest. */
export const MAX_EVENT_SOCKETS_PER_SESSION = 4;
/**
 * WebSocket close code of the oldest socket when a session opens one more than
 * MAX_EVENT_SOCKETS_PER_SESSION: a newer connection took its place, so clients do not reconnect.
 */
export const CLOSE_SOCKET_REPLACED = 4010;
/**
 * Client frames one event socket may send per SOCKET_FRAME_WINDOW_MS (acks, and pings the runtime
 * did not answer on its own). A client acks at most every ~100 ms or 32 events.
 */
export const SOCKET_FRAME_LIMIT = 100;
export const SOCKET_FRAME_WINDOW_MS = 2_000;
/** WebSocket close code for a socket past SOCKET_FRAME_LIMIT. */
export const CLOSE_TOO_MANY_FRAMES = 4029;

/** Largest request body either service reads, in bytes. */
export const MAX_BODY_BYTES = 128 * 1024;
/** Largest SDP accepted, in characters. */
export const MAX_SDP_LENGTH = 64 * 1024;
/** Largest `candidate` attribute string, in characters. */
export const MAX_CANDIDATE_LENGTH = 1_024;
/** Largest serialized session `metadata`, in characters. */
export const MAX_METADATA_LENGTH = 2_048;

/** Media nodes heartbeat this often, in ms. */
export const HEARTBEAT_INTERVAL_MS = 3_000;
/**
 * A node whose last heartbeat is older than this is lost, in ms: three missed heartbeats. A
 * killed node is then declared lost at most 9 s after the kill (its last heartbeat came at the
 * latest at the kill), and its sessions fail `node_lost` within the promised 15 s with ~6 s
 * left for the fan-out to the shards.
 */
export const HEARTBEAT_TIMEOUT_MS = 9_000;

/** Signed requests older or newer than this (clock skew included) are refused, in ms. */
export const SIGNATURE_WINDOW_MS = 30_000;

/** Default drain deadline of a media node on shutdown, in ms. */
export const DRAIN_TIMEOUT_MS = 30_000;

/** Room names and device ids: short, URL-safe. */
export const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
