// Runs inside Chromium (added with page.addScriptTag): a WHEP viewer. A recvonly audio + video
// offer (complete, no trickle) POSTed as application/sdp to a URL of another origin (so the
// calls go through CORS), then a few seconds of media; what the browser decoded comes from its
// inbound-rtp stats; then DELETE of the Location.
globalThis.whepViewer = {
  async view({ url, token, seconds }) {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (e) => {
      // Remote audio is decoded (and counted in totalSamplesReceived) only while played out.
      if (e.track.kind !== 'audio') return;
      const element = new Audio();
      element.srcObject = new MediaStream([e.track]);
      void element.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' },
      body: pc.localDescription.sdp,
    });
    const answer = await res.text();
    const report = {
      status: res.status,
      location: res.headers.get('location'),
      etag: res.headers.get('etag'),
      link: res.headers.get('link'),
      framesDecoded: 0,
      frameWidth: 0,
      frameHeight: 0,
      audioSamples: 0,
      deleteStatus: 0,
    };
    if (res.status !== 201) return report;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        report.framesDecoded = s.framesDecoded ?? 0;
        report.frameWidth = s.frameWidth ?? 0;
        report.frameHeight = s.frameHeight ?? 0;
      } else if (s.kind === 'audio') {
        report.audioSamples = s.totalSamplesReceived ?? 0;
      }
    });
    const del = await fetch(new URL(report.location ?? '', url), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    report.deleteStatus = del.status;
    pc.close();
    return report;
  },
};
