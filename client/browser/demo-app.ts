/**
 * The demo page's script (bundled by `scripts/build-demo.ts` and served inline at `GET /`):
 * join a room with camera and microphone through the SDK, show everyone else's video, and say
 * what is happening in plain words.
 */
import { MediaApi } from '../api.ts';
import { RoomParticipant } from '../participant.ts';
import { describeEnd, describeError, describePeerState, describeState } from '../plain-words.ts';
import { wrapBrowserPeer } from './browser-peer.ts';
import {
  type DemoLink,
  isValidName,
  keepTabName,
  readDemoLink,
  requestDemoToken,
  tabName,
} from './demo-link.ts';
import { publishStream } from './publish.ts';
import { VideoGrid } from './video-grid.ts';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`demo page is missing #${id}`);
  return found;
}

const ui = {
  form: element('join-form', HTMLFormElement),
  room: element('room', HTMLInputElement),
  token: element('token', HTMLInputElement),
  tokenField: element('token-field', HTMLElement),
  tokenHint: element('token-hint', HTMLElement),
  name: element('name', HTMLInputElement),
  nameField: element('name-field', HTMLElement),
  echo: element('echo', HTMLInputElement),
  join: element('join', HTMLButtonElement),
  leave: element('leave', HTMLButtonElement),
  status: element('status', HTMLElement),
  error: element('error', HTMLElement),
  local: element('local', HTMLVideoElement),
  localTile: element('local-tile', HTMLElement),
  grid: new VideoGrid(element('videos', HTMLElement)),
};

let participant: RoomParticipant<MediaStreamTrack> | undefined;
let localStream: MediaStream | undefined;
let currentPc: RTCPeerConnection | undefined;
/** Device ids by session id and by track id, from `participant` / `track` events. */
const devices = new Map<string, string>();
/** The local token service from the link `npm start` prints, if the page was opened from it. */
let mint: DemoLink['mint'];

function setStatus(text: string, state: string): void {
  ui.status.textContent = text;
  document.body.dataset.state = state;
}

function showError(text: string | undefined): void {
  ui.error.hidden = !text;
  ui.error.textContent = text ?? '';
}

function readHash(): void {
  const link = readDemoLink(location.hash);
  if (link.token) ui.token.value = link.token;
  if (link.room) ui.room.value = link.room;
  mint = link.token ? undefined : link.mint;
  // From `npm start`'s link, each tab is its own device, named here; else the token names it.
  ui.nameField.hidden = !mint;
  ui.tokenField.hidden = Boolean(mint);
  ui.tokenHint.hidden = Boolean(mint);
  if (mint && !ui.name.value) ui.name.value = tabName(sessionStorage);
}

/** The token to join with: this tab's own from the local token service, or the pasted one. */
async function joinToken(): Promise<string | undefined> {
  if (!mint) {
    const token = ui.token.value.trim();
    if (!token) {
      showError('Paste a token first (npm start prints one; or npm run token -- --device <name>).');
    }
    return token || undefined;
  }
  const name = ui.name.value.trim();
  if (!isValidName(name)) {
    showError('Your name: 1-64 characters of letters, digits, _ . : -');
    return undefined;
  }
  keepTabName(sessionStorage, name);
  try {
    return await requestDemoToken(mint, name);
  } catch (error) {
    showError(describeError(error));
    return undefined;
  }
}

function setJoined(joined: boolean): void {
  ui.join.disabled = joined;
  ui.leave.disabled = !joined;
  ui.room.disabled = joined;
  ui.token.disabled = joined;
  ui.name.disabled = joined;
  ui.echo.disabled = joined;
}

async function openCamera(): Promise<MediaStream | undefined> {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (error) {
    showError(`${describeError(error)} You can still watch the others.`);
    return undefined;
  }
}

function stopLocal(): void {
  for (const track of localStream?.getTracks() ?? []) track.stop();
  localStream = undefined;
  ui.local.srcObject = null;
}

async function join(): Promise<void> {
  showError(undefined);
  const room = ui.room.value.trim();
  setJoined(true);
  const token = await joinToken();
  if (!token) {
    setJoined(false);
    return;
  }
  setStatus('Asking for camera and microphone…', 'media');
  localStream = await openCamera();
  ui.local.srcObject = localStream ?? null;
  const api = new MediaApi({ baseUrl: location.origin, token });
  const p = new RoomParticipant<MediaStreamTrack>({
    api,
    room,
    echo: ui.echo.checked,
    peerFactory: ({ iceServers }) => {
      const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
      const stream = localStream;
      if (stream) publishStream(pc, stream);
      // Always able to receive, even with nothing to publish.
      if (!stream) {
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
      }
      currentPc = pc;
      return wrapBrowserPeer(pc);
    },
  });
  participant = p;
  p.on('state', ({ state, reason }) => setStatus(describeState(state, reason), state));
  p.on('peerState', ({ state }) => setStatus(describePeerState(state), `peer-${state}`));
  p.on('track', ({ track, streamIds, trackId, sessionId }) => {
    // Echoed media comes back on our own transceivers, whose answer names no stream.
    const key = streamIds[0] ?? sessionId;
    const own = key === sessionId;
    const label = own
      ? 'You (echo)'
      : (devices.get(key) ?? devices.get(trackId ?? '') ?? 'Someone');
    ui.grid.add(key, label, track);
  });
  p.on('event', (event) => {
    if (event.type === 'participant') {
      if (event.action === 'joined') {
        devices.set(event.participantSessionId, event.deviceId);
        ui.grid.label(event.participantSessionId, event.deviceId);
      } else {
        ui.grid.remove(event.participantSessionId);
      }
    } else if (event.type === 'track') {
      devices.set(event.trackId, event.publisherDeviceId);
      devices.set(event.publisherSessionId, event.publisherDeviceId);
      if (event.action === 'removed') ui.grid.removeTrack(event.trackId);
    }
  });
  // The active speaker's tile is outlined; our own is the local preview.
  p.on('speaker', ({ participantSessionId, sessionId }) => {
    const own = participantSessionId !== null && participantSessionId === sessionId;
    ui.grid.highlight(own ? null : participantSessionId);
    ui.localTile.classList.toggle('speaking', own);
  });
  p.on('rejoining', ({ reason, attempt }) => {
    ui.grid.clear();
    ui.grid.highlight(null);
    ui.localTile.classList.remove('speaking');
    setStatus(
      `${describeEnd(reason)} Moving you to another media server (try ${attempt})…`,
      'rejoining',
    );
  });
  p.on('rejoined', () => setStatus('Reconnected on another media server.', 'rejoined'));
  p.on('iceRestart', ({ attempt }) =>
    setStatus(`Network changed: reconnecting media (try ${attempt})…`, 'ice-restart'),
  );
  p.on('iceRestarted', () => setStatus('Media reconnected.', 'peer-connected'));
  p.on('error', (error) => showError(describeError(error)));
  p.on('ended', ({ reason }) => {
    if (participant !== p) return;
    participant = undefined;
    currentPc = undefined;
    ui.grid.clear();
    ui.grid.highlight(null);
    ui.localTile.classList.remove('speaking');
    stopLocal();
    setJoined(false);
    setStatus(describeEnd(reason), 'ended');
  });
  try {
    setStatus('Joining the room…', 'joining');
    await p.join();
  } catch (error) {
    showError(describeError(error));
    if (participant === p) {
      participant = undefined;
      stopLocal();
      setJoined(false);
      setStatus('Not connected.', 'idle');
    }
  }
}

async function leave(): Promise<void> {
  const p = participant;
  if (!p) return;
  try {
    await p.leave();
  } catch (error) {
    showError(describeError(error));
  }
}

/** Read by the browser test (and handy in the console): what this page decodes. */
async function framesDecoded(): Promise<number> {
  if (!currentPc) return 0;
  let frames = 0;
  for (const report of (await currentPc.getStats()).values()) {
    if (report.type === 'inbound-rtp' && report.kind === 'video') {
      frames += Number(report.framesDecoded ?? 0);
    }
  }
  return frames;
}

/** Bytes sent so far per simulcast layer of the camera (rid -> bytesSent), for tests. */
async function layersSent(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (!currentPc) return out;
  for (const report of (await currentPc.getStats()).values()) {
    if (report.type === 'outbound-rtp' && report.kind === 'video') {
      out[String(report.rid ?? '')] = Number(report.bytesSent ?? 0);
    }
  }
  return out;
}

/** Which simulcast layers of the camera are on (rid -> `active`), as dynacast set them. */
function layersActive(): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const t of currentPc?.getTransceivers() ?? []) {
    for (const e of t.sender.getParameters().encodings ?? []) {
      if (e.rid !== undefined) out[e.rid] = e.active !== false;
    }
  }
  return out;
}

Object.assign(globalThis, {
  mediaDemo: {
    framesDecoded,
    layersSent,
    layersActive,
    sessionId: () => participant?.session?.info?.sessionId ?? null,
    /** The captions of the other participants' tiles. */
    remoteCaptions: () => ui.grid.captions(),
    timings: () => ({ ...participant?.session?.timings }),
    remoteTiles: () => ui.grid.size,
    /** The session id whose tile is outlined as the active speaker (null: none shown). */
    speakerTile: () => ui.grid.highlighted,
  },
});

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void join();
});
ui.leave.addEventListener('click', () => void leave());
window.addEventListener('hashchange', readHash);
readHash();
setStatus('Not connected.', 'idle');
