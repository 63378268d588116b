"""GStreamer 1.22 webrtcbin (Debian) as a media-node client, driven by test/interop-gstreamer.test.ts.

Same line protocol as aiortc_peer.py:
  out {"offer": sdp}   the complete offer (max-bundle: audio is `m=audio 0 ... a=bundle-only`)
  in  {"answer": sdp} / {"offer": sdp} -> out {"answer": sdp}
  out {"result": {...}} after --seconds: decoded frames, their I420 plane means, audio RMS,
                        data-channel messages
Sends videotestsrc solid colour (--rgb, VP8 or H.264 via x264enc) and a 440 Hz sine (Opus).
libnice gathers no loopback candidates by itself: 127.0.0.1 is added as its only local address.
"""
import argparse, faulthandler, json, sys, threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

Gst.init(None)
faulthandler.enable()
ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=5)
ap.add_argument("--codec", default="vp8")
ap.add_argument("--rgb", default="2080c0")
ap.add_argument("--message", default="hello")
args = ap.parse_args()

VIDEO = {
    "vp8": "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96",
    "h264": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
    "! video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1",
}[args.codec]
pipe = Gst.parse_launch(
    "webrtcbin name=w bundle-policy=max-bundle "
    f"videotestsrc is-live=true pattern=solid-color foreground-color=0xff{args.rgb} "
    f"! video/x-raw,width=320,height=240,framerate=15/1 ! videoconvert ! {VIDEO} "
    "! application/x-rtp,media=video ! w. "
    "audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! audioconvert ! audioresample "
    "! opusenc ! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! w."
)
w = pipe.get_by_name("w")
# Keep the ICE object referenced for the process lifetime: PyGObject drops one reference too
# many for this property, and a collected wrapper freed webrtcbin's agent (SIGSEGV).
ICE = w.get_property("ice-agent")
agent = ICE.get_property("agent")
loopback = Nice.Address()
loopback.set_from_string("127.0.0.1")
agent.add_local_address(loopback)

loop = GLib.MainLoop()
stats = {"frames": 0, "y": [], "u": [], "v": [], "rms": [], "messages": []}
lock = threading.Lock()


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_video(sink):
    sample = sink.emit("pull-sample")
    buf, caps = sample.get_buffer(), sample.get_caps().get_structure(0)
    width, height = caps.get_value("width"), caps.get_value("height")
    ok, info = buf.map(Gst.MapFlags.READ)
    if ok:
        data = info.data
        ys, cs = width * height, (width // 2) * (height // 2)
        step = 97  # sample the planes: cheap and exact enough for a solid colour
        mean = lambda a, b: sum(data[a:b:step]) / len(range(a, b, step))
        with lock:
            stats["frames"] += 1
            stats["y"].append(mean(0, ys))
            stats["u"].append(mean(ys, ys + cs))
            stats["v"].append(mean(ys + cs, ys + 2 * cs))
        buf.unmap(info)
    return Gst.FlowReturn.OK


def on_audio(sink):
    sample = sink.emit("pull-sample")
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    if ok:
        pcm = memoryview(info.data).cast("h")
        if len(pcm):
            with lock:
                stats["rms"].append((sum(s * s for s in pcm[::4]) / len(pcm[::4])) ** 0.5)
        buf.unmap(info)
    return Gst.FlowReturn.OK


def on_decoded(_decodebin, pad):
    name = pad.get_current_caps().get_structure(0).get_name()
    if name.startswith("video"):
        chain = "videoconvert ! video/x-raw,format=I420 ! appsink name=s emit-signals=true sync=false"
        handler = on_video
    elif name.startswith("audio"):
        chain = "audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1 ! appsink name=s emit-signals=true sync=false"
        handler = on_audio
    else:
        return
    bin_ = Gst.parse_bin_from_description(chain, True)
    pipe.add(bin_)
    bin_.get_by_name("s").connect("new-sample", handler)
    bin_.sync_state_with_parent()
    pad.link(bin_.get_static_pad("sink"))


def on_pad_added(_w, pad):
    if pad.direction != Gst.PadDirection.SRC:
        return
    decode = Gst.ElementFactory.make("decodebin")
    decode.connect("pad-added", on_decoded)
    pipe.add(decode)
    decode.sync_state_with_parent()
    pad.link(decode.get_static_pad("sink"))


def sdp_of(kind):
    desc = w.get_property(kind)
    return desc.sdp.as_text()


def when_gathered(then):
    def check():
        if w.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            then()
            return False
        return True

    GLib.timeout_add(20, check)


def on_offer_created(promise, _):
    reply = promise.get_reply()
    if not reply.has_field("offer"):
        sys.stderr.write(f"create-offer failed: {reply.to_string()}\n")
        return
    offer = reply.get_value("offer")
    w.emit("set-local-description", offer, Gst.Promise.new())
    when_gathered(lambda: emit({"offer": sdp_of("local-description")}))


def on_negotiation_needed(_w):
    if w.get_property("signaling-state") != GstWebRTC.WebRTCSignalingState.STABLE:
        return
    if getattr(on_negotiation_needed, "done", False):
        return  # only the first offer is ours; later changes come from the node
    on_negotiation_needed.done = True
    w.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer_created, None))


def description(kind, text):
    _, msg = GstSdp.SDPMessage.new_from_text(text)
    t = GstWebRTC.WebRTCSDPType.OFFER if kind == "offer" else GstWebRTC.WebRTCSDPType.ANSWER
    return GstWebRTC.WebRTCSessionDescription.new(t, msg)


# Signaling is applied one message at a time: a node offer that arrived while webrtcbin was
# still applying the previous answer made create-answer fail now and then.
queue = []
busy = [False]


def next_message():
    busy[0] = False
    if queue:
        handle(queue.pop(0))
    return False


def fail(step, reply):
    sys.stderr.write(f"{step} failed: {reply.to_string() if reply else 'no reply'}\n")
    sys.stderr.flush()
    GLib.idle_add(lambda: sys.exit(3))


def on_answer_created(promise, _):
    reply = promise.get_reply()
    if reply is None or not reply.has_field("answer"):
        return fail("create-answer", reply)
    answer = reply.get_value("answer")
    # Read the text now: the reply (and the description it owns) is freed after this callback.
    text = answer.sdp.as_text()

    def applied(_p, _u):
        emit({"answer": text})
        GLib.idle_add(next_message)

    w.emit("set-local-description", answer, Gst.Promise.new_with_change_func(applied, None))


def handle(msg):
    if busy[0]:
        queue.append(msg)
        return False
    busy[0] = True
    if "answer" in msg:
        w.emit(
            "set-remote-description",
            description("answer", msg["answer"]),
            Gst.Promise.new_with_change_func(lambda _p, _u: GLib.idle_add(next_message), None),
        )
    elif "offer" in msg:
        def applied(promise, _u):
            reply = promise.get_reply()
            if reply is not None and reply.has_field("error"):
                return fail("set-remote-description(offer)", reply)
            w.emit("create-answer", None, Gst.Promise.new_with_change_func(on_answer_created, None))

        w.emit(
            "set-remote-description",
            description("offer", msg["offer"]),
            Gst.Promise.new_with_change_func(applied, None),
        )
    return False


def read_stdin():
    for line in sys.stdin:
        GLib.idle_add(handle, json.loads(line))


channel_ref = {}


def on_channel_open(channel):
    channel.emit("send-string", args.message)


def on_data_channel(_w, channel):
    channel.connect("on-message-string", lambda _c, m: stats["messages"].append(m))


def finish():
    mid = lambda xs: sorted(xs)[len(xs) // 2] if xs else None
    with lock:
        rms = stats["rms"][len(stats["rms"]) // 2 :]
        emit({"result": {
            "frames": stats["frames"], "y": mid(stats["y"]), "u": mid(stats["u"]),
            "v": mid(stats["v"]), "rms": mid(rms), "messages": stats["messages"],
            "connection": str(w.get_property("connection-state").value_nick),
        }})
    loop.quit()
    return False


w.connect("on-negotiation-needed", on_negotiation_needed)
w.connect("pad-added", on_pad_added)
w.connect("on-data-channel", on_data_channel)
pipe.set_state(Gst.State.READY)
channel = w.emit("create-data-channel", "chat", None)
channel.connect("on-open", on_channel_open)
channel.connect("on-message-string", lambda _c, m: stats["messages"].append(m))
channel_ref["c"] = channel
pipe.set_state(Gst.State.PLAYING)
threading.Thread(target=read_stdin, daemon=True).start()
GLib.timeout_add(int(args.seconds * 1000), finish)
loop.run()
pipe.set_state(Gst.State.NULL)
