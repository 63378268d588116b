"""aiortc (Debian python3-aiortc 1.4) as a media-node client, driven by test/interop-aiortc.test.ts.

Protocol on stdin/stdout, one JSON object per line:
  out {"offer": sdp}            after ICE gathering (only 127.0.0.1 is gathered)
  in  {"answer": sdp}           the node's answer
  in  {"offer": sdp}            a server renegotiation offer -> out {"answer": sdp}
  out {"result": {...}}         after --seconds of media: decoded video frames and their mean
                                colour, audio RMS, data-channel messages received
Sends a solid-colour video (--y/--u/--v) and a 440 Hz sine.
"""
import argparse, asyncio, fractions, json, math, sys

import aioice.ice
import numpy as np
from av import AudioFrame, VideoFrame
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

# Loopback only: aioice otherwise gathers every interface address.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


class ColourTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, y, u, v):
        super().__init__()
        self.planes = (y, u, v)
        self.pts = 0

    async def recv(self):
        await asyncio.sleep(1 / 15)
        frame = VideoFrame(width=320, height=240, format="yuv420p")
        for plane, value in zip(frame.planes, self.planes):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, 90000)
        self.pts += 6000
        return frame


class SineTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.samples = 0

    async def recv(self):
        await asyncio.sleep(0.02)
        t = (np.arange(960) + self.samples) / 48000
        pcm = (np.sin(2 * math.pi * 440 * t) * 8000).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += 960
        return frame


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--y", type=int, default=180)
    ap.add_argument("--u", type=int, default=60)
    ap.add_argument("--v", type=int, default=200)
    ap.add_argument("--message", default="hello")
    args = ap.parse_args()
    pc = RTCPeerConnection()
    stats = {"frames": 0, "y": [], "u": [], "v": [], "rms": [], "messages": []}
    channel = pc.createDataChannel("chat")
    channel.on("message", lambda m: stats["messages"].append(m))
    channel.on("open", lambda: channel.send(args.message))

    async def consume(track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            if track.kind == "video":
                stats["frames"] += 1
                img = frame.to_ndarray(format="yuv420p")
                h = frame.height
                stats["y"].append(float(img[:h].mean()))
                stats["u"].append(float(img[h : h + h // 4].mean()))
                stats["v"].append(float(img[h + h // 4 :].mean()))
            else:
                pcm = frame.to_ndarray().astype(np.float64)
                stats["rms"].append(float(np.sqrt((pcm**2).mean())))

    pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
    pc.addTrack(SineTrack())
    pc.addTrack(ColourTrack(args.y, args.u, args.v))
    await pc.setLocalDescription(await pc.createOffer())
    emit({"offer": pc.localDescription.sdp})
    loop = asyncio.get_event_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def signaling():
        while True:
            line = await reader.readline()
            if not line:
                return
            msg = json.loads(line)
            if "answer" in msg:
                await pc.setRemoteDescription(RTCSessionDescription(msg["answer"], "answer"))
            elif "offer" in msg:
                await pc.setRemoteDescription(RTCSessionDescription(msg["offer"], "offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                emit({"answer": pc.localDescription.sdp})

    task = asyncio.ensure_future(signaling())
    await asyncio.sleep(args.seconds)
    mid = lambda xs: sorted(xs)[len(xs) // 2] if xs else None
    emit({"result": {
        "frames": stats["frames"], "y": mid(stats["y"]), "u": mid(stats["u"]), "v": mid(stats["v"]),
        "rms": mid(stats["rms"][len(stats["rms"]) // 2 :]), "messages": stats["messages"],
        "connection": pc.connectionState,
    }})
    task.cancel()
    await pc.close()


asyncio.run(main())
