// Runs inside Chromium or Firefox (added with addScriptTag on the edge's own origin, so the API
// calls are same-origin): one participant through the public API with a solid-colour canvas
// track, a 440 Hz oscillator or the browser's fake microphone (`microphone: true`; Firefox's is a
// 1 kHz sine), a data channel, the chosen video codec (setCodecPreferences) and answers to the
// node's renegotiation offers from the event socket. Reports what it decoded.
globalThis.interopPeer = {
  async join({ token, room, echo, codec, rgb, message, microphone }) {
    const api = async (method, path, body) => {
      const res = await fetch(`/api/media${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext('2d');
    const paint = () => {
      ctx.fillStyle = `#${rgb}`;
      ctx.fillRect(0, 0, 320, 240);
    };
    paint();
    const painter = setInterval(paint, 50);
    const audio = new AudioContext();
    const osc = audio.createOscillator();
    const dest = audio.createMediaStreamDestination();
    osc.frequency.value = 440;
    osc.connect(dest);
    osc.start();
    const sound = microphone
      ? await navigator.mediaDevices.getUserMedia({ audio: true })
      : dest.stream;
    const stream = new MediaStream([
      ...canvas.captureStream(20).getVideoTracks(),
      ...sound.getAudioTracks(),
    ]);
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const state = {
      messages: [],
      errors: [],
      remote: [],
      analysers: [],
      setupMs: undefined,
      connected: false,
    };
    for (const track of stream.getTracks()) {
      const t = pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      if (track.kind === 'video') {
        const caps = RTCRtpReceiver.getCapabilities('video').codecs;
        const wanted = caps.filter(
          (c) =>
            c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}` &&
            (codec !== 'H264' || /packetization-mode=1/.test(c.sdpFmtpLine ?? '')),
        );
        t.setCodecPreferences(wanted);
      }
    }
    pc.ontrack = (e) => {
      if (e.track.kind === 'audio') {
        // Remote audio reaches WebAudio only while a media element plays it (Chromium).
        const element = new Audio();
        element.srcObject = new MediaStream([e.track]);
        element.play().catch(() => {});
        try {
          const analyser = audio.createAnalyser();
          audio.createMediaStreamSource(new MediaStream([e.track])).connect(analyser);
          state.analysers.push(analyser);
        } catch (error) {
          state.errors.push(`remote audio: ${error}`);
        }
        return;
      }
      if (e.track.kind !== 'video') return;
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.srcObject = new MediaStream([e.track]);
      document.body.append(video);
      state.remote.push(video);
    };
    const channel = pc.createDataChannel('chat');
    channel.onopen = () => channel.send(message);
    channel.onmessage = (e) => state.messages.push(String(e.data));
    const session = await api('POST', '/sessions', room ? { room } : { echo });
    const events = new WebSocket(
      `${location.origin.replace('http', 'ws')}/api/media/sessions/${session.sessionId}/events?access_token=${token}&since=0`,
    );
    let signaling = Promise.resolve();
    const started = performance.now();
    events.onmessage = (m) => {
      const event = JSON.parse(m.data);
      if (event.type === 'state' && event.state === 'connected') {
        state.setupMs ??= performance.now() - started;
        state.connected = true;
      }
      if (event.type !== 'offer') return;
      signaling = signaling.then(async () => {
        await pc.setRemoteDescription({ type: 'offer', sdp: event.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await api('POST', `/sessions/${session.sessionId}/answer`, {
          sdp: pc.localDescription.sdp,
        });
      });
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 2000);
    });
    // A node whose event loop is late (the machine is shared) refuses with 503 and Retry-After;
    // a client retries, as this one does.
    let answer;
    for (let attempt = 1; ; attempt++) {
      try {
        answer = await api('POST', `/sessions/${session.sessionId}/offer`, {
          sdp: pc.localDescription.sdp,
        });
        break;
      } catch (error) {
        if (attempt >= 4 || !/: 503 /.test(String(error))) throw error;
        await new Promise((r) => setTimeout(r, 1500));
      }
    }
    await pc.setRemoteDescription(answer);
    this.current = {
      pc,
      state,
      painter,
      osc,
      audio,
      events,
      channel,
      sessionId: session.sessionId,
    };
    return session.sessionId;
  },

  /**
   * Decoded video frames, the centre colour of each remote video, audio energy and its loudest
   * frequency, messages, and the addresses of the selected ICE candidate pair.
   */
  async report() {
    const { pc, state, audio } = this.current;
    const stats = await pc.getStats();
    let framesDecoded = 0;
    let audioEnergy = 0;
    let audioPeakHz = 0;
    let decodedAudioEnergy = 0;
    let audioPackets = 0;
    let sentCodec = '';
    const codecs = new Map();
    for (const s of stats.values()) if (s.type === 'codec') codecs.set(s.id, s.mimeType);
    for (const analyser of state.analysers) {
      const samples = new Float32Array(analyser.fftSize);
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const v of samples) sum += v * v;
      const rms = Math.sqrt(sum / samples.length);
      if (rms <= audioEnergy) continue;
      audioEnergy = rms;
      const bins = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      const loudest = bins.indexOf(Math.max(...bins));
      audioPeakHz = (loudest * analyser.context.sampleRate) / analyser.fftSize;
    }
    for (const s of stats.values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
      // The receiver's own measure of the decoded audio (Firefox's WebAudio needs an output
      // device to run, which a headless machine does not have).
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        decodedAudioEnergy += s.totalAudioEnergy ?? 0;
        audioPackets += s.packetsReceived ?? 0;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') sentCodec = codecs.get(s.codecId);
    }
    const pair = selectedPair(stats);
    const colours = state.remote.map((video) => {
      if (video.videoWidth === 0) return null;
      const c = document.createElement('canvas');
      c.width = video.videoWidth;
      c.height = video.videoHeight;
      const g = c.getContext('2d');
      g.drawImage(video, 0, 0);
      const [r, gr, b] = g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
      return [r, gr, b];
    });
    // What the node's header extensions give a receiver: the audio level of the ssrc-audio-level
    // extension (RFC 6464; absent without it) and the negotiated extension URIs per receiver.
    const receivers = pc
      .getTransceivers()
      .filter((t) => t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv')
      .map((t) => t.receiver);
    // Firefox has no RTCRtpReceiver.getParameters() and may lack contributing-source levels:
    // report what the browser exposes instead of throwing away the whole report.
    const audioLevels = receivers
      .filter((r) => r.track.kind === 'audio')
      .map((r) => r.getSynchronizationSources?.()[0]?.audioLevel ?? null);
    const receiverExtensions = receivers.map(
      (r) => r.getParameters?.().headerExtensions?.map((e) => e.uri) ?? [],
    );
    return {
      framesDecoded,
      audioEnergy,
      audioPeakHz,
      decodedAudioEnergy,
      audioPackets,
      audioLevels,
      receiverExtensions,
      sentCodec,
      pair,
      colours,
      messages: state.messages,
      errors: state.errors,
      audioContext: audio.state,
      connected: state.connected,
      setupMs: state.setupMs,
    };
  },

  /** Sends `message` on the data channel (open by then). */
  send(message) {
    this.current.channel.send(message);
  },

  close() {
    const c = this.current;
    if (!c) return;
    clearInterval(c.painter);
    c.osc.stop();
    c.events.close();
    c.pc.close();
  },
};

/** `local -> remote` addresses of the selected candidate pair (Chromium and Firefox stats). */
function selectedPair(stats) {
  let pair;
  for (const s of stats.values()) {
    if (s.type === 'transport' && s.selectedCandidatePairId)
      pair = stats.get(s.selectedCandidatePairId);
  }
  for (const s of stats.values()) {
    if (
      !pair &&
      s.type === 'candidate-pair' &&
      (s.selected || (s.nominated && s.state === 'succeeded'))
    )
      pair = s;
  }
  if (!pair) return null;
  const address = (id) => {
    const c = stats.get(id);
    return c ? `${c.address ?? c.ip}:${c.port}` : '?';
  };
  return `${address(pair.localCandidateId)} -> ${address(pair.remoteCandidateId)}`;
}
