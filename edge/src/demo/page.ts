/**
 * The demo page served at `GET /`: join a room with camera and microphone, see the others.
 * Its script is the client SDK bundled for browsers (client/browser/demo-app.ts), inlined so the
 * page is one response with no other route to serve.
 */
import { DEMO_SCRIPT } from './client-bundle.generated.ts';

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
form { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: end; }
label { display: flex; flex-direction: column; gap: .25rem; font-size: .9rem; }
[hidden] { display: none !important; }
label.inline { flex-direction: row; align-items: center; }
input[type=text], input[type=password] { padding: .4rem .5rem; font: inherit; min-width: 12rem; }
button { padding: .45rem 1.1rem; font: inherit; cursor: pointer; }
#status { margin: 1rem 0 .25rem; font-weight: 600; }
#error { margin: .25rem 0; color: #b00020; }
#videos { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; margin-top: 1rem; }
.tile { margin: 0; background: #111; border-radius: .5rem; overflow: hidden; }
.tile video { display: block; width: 100%; aspect-ratio: 4 / 3; object-fit: cover; background: #222; }
.tile figcaption { color: #eee; padding: .3rem .6rem; font-size: .85rem; }
.tile { outline: 3px solid transparent; transition: outline-color .2s; }
.tile.speaking { outline-color: #2e9d4a; }
.tile.speaking figcaption::after { content: " · speaking"; color: #7ddf92; }
.hint { font-size: .8rem; opacity: .75; }
`;

const BODY = `
<h1>Media demo</h1>
<form id="join-form">
  <label>Room <input id="room" type="text" value="demo" required pattern="[A-Za-z0-9_.:\\-]{1,64}"
    title="1-64 characters: letters, digits, _ . : -"></label>
  <label id="name-field" hidden>Your name <input id="name" type="text" autocomplete="off"
    spellcheck="false" pattern="[A-Za-z0-9_.:\\-]{1,64}"
    title="1-64 characters: letters, digits, _ . : -"></label>
  <label id="token-field">Token <input id="token" type="password" autocomplete="off" spellcheck="false"
    placeholder="paste a token"></label>
  <label class="inline"><input id="echo" type="checkbox"> Echo my own media back</label>
  <button id="join" type="submit">Join</button>
  <button id="leave" type="button" disabled>Leave</button>
</form>
<p class="hint" id="token-hint">No token? Open the link <code>npm start</code> prints, or run
  <code>npm run token -- --device &lt;name&gt;</code> and paste it here.</p>
<p id="status" role="status">Loading…</p>
<p id="error" role="alert" hidden></p>
<section id="videos" aria-label="Videos">
  <figure class="tile" id="local-tile"><video id="local" autoplay muted playsinline></video>
    <figcaption>You</figcaption></figure>
</section>
`;

/** The whole page; `DEMO_SCRIPT` is already safe to inline (no `</script`). */
export function renderDemoPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Media demo</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-state="loading">
${BODY}
<script>${DEMO_SCRIPT}</script>
</body>
</html>`;
}
