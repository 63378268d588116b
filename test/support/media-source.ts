/**
 * Real media for werift participants: VP8 frames from a small IVF fixture (colour bars with a
 * moving box, every frame a keyframe so a late subscriber decodes at once and looping needs no
 * care) and Opus silence, packetized to RTP and paced in real time (15 fps, 20 ms audio).
 * Browsers decode it, so the same source serves the Chromium test.
 */
import { readFileSync } from 'node:fs';
import { type MediaStreamTrack, RtpHeader, RtpPacket } from 'werift';

const FIXTURE = new URL('../fixtures/color-bars-320x240.vp8.ivf', import.meta.url);
/** RTP payload budget per packet, in bytes: well under any loopback MTU. */
const MAX_PAYLOAD = 1_100;
/** An Opus frame of 20 ms silence (TOC 0xf8: CELT FB 20 ms, one frame). */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);

/** The frames of an IVF file (32-byte file header, then 12-byte frame headers). */
export function readIvf(data: Buffer): { width: number; height: number; frames: Buffer[] } {
  if (data.toString('ascii', 0, 4) !== 'DKIF') throw new Error('not an IVF file');
  const headerSize = data.readUInt16LE(6);
  const frames: Buffer[] = [];
  let offset = headerSize;
  while (offset + 12 <= data.length) {
    const size = data.readUInt32LE(offset);
    frames.push(data.subarray(offset + 12, offset + 12 + size));
    offset += 12 + size;
  }
  return { width: data.readUInt16LE(12), height: data.readUInt16LE(14), frames };
}

/** RFC 7741 payloads for one frame: a 1-byte descriptor (S bit on the first), then data. */
export function packetizeVp8(frame: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < frame.length; offset += MAX_PAYLOAD) {
    const descriptor = Buffer.from([offset === 0 ? 0x10 : 0x00]);
    out.push(Buffer.concat([descriptor, frame.subarray(offset, offset + MAX_PAYLOAD)]));
  }
  return out;
}

const fixture = readIvf(readFileSync(FIXTURE));

export interface MediaSourceTracks {
  audio: MediaStreamTrack;
  video: MediaStreamTrack;
  /** The negotiated id of `ssrc-audio-level` (RFC 6464), undefined before negotiation. */
  audioLevelId?: () => number | undefined;
}

/** Sends to whatever tracks are current (a rejoin swaps them); `stop()` clears its timer. */
export class MediaSource {
  #tracks: MediaStreamTrack[] = [];
  #audio: MediaStreamTrack | undefined;
  #video: MediaStreamTrack | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #tick = 0;
  #frame = 0;
  #videoSeq = Math.floor(Math.random() * 60_000);
  #audioSeq = Math.floor(Math.random() * 60_000);
  #audioLevelId: (() => number | undefined) | undefined;
  framesSent = 0;
  /**
   * The audio level every audio packet carries (RFC 6464 `ssrc-audio-level`, dBov: 0 loudest,
   * 127 silence), as a microphone's encoder would write it; undefined: no level extension.
   */
  audioLevel: number | undefined;

  use(tracks: MediaSourceTracks): void {
    this.#audioLevelId = tracks.audioLevelId;
    this.#audio = tracks.audio;
    this.#video = tracks.video;
    this.#tracks = [tracks.audio, tracks.video];
  }

  start(): void {
    // 20 ms ticks: audio every tick, a video frame every third (~16.7 fps, close to the 15 fps
    // the clip was encoded for).
    this.#timer ??= setInterval(() => this.#onTick(), 20);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #onTick(): void {
    this.#tick += 1;
    const audio = this.#audio;
    if (audio && !audio.stopped) {
      this.#audioSeq = (this.#audioSeq + 1) & 0xffff;
      const level = this.audioLevel;
      const levelId = level === undefined ? undefined : this.#audioLevelId?.();
      audio.writeRtp(
        new RtpPacket(
          new RtpHeader({
            payloadType: 111,
            sequenceNumber: this.#audioSeq,
            timestamp: (this.#tick * 960) >>> 0,
            marker: false,
            // werift's sender keeps extensions of the packet it is given (by id) beside its own.
            ...(level !== undefined && levelId
              ? { extensions: [{ id: levelId, payload: Buffer.from([level & 0x7f]) }] }
              : {}),
          }),
          OPUS_SILENCE,
        ),
      );
    }
    const video = this.#video;
    if (this.#tick % 3 !== 0 || !video || video.stopped) return;
    const frame = fixture.frames[this.#frame % fixture.frames.length];
    if (!frame) return;
    this.#frame += 1;
    const timestamp = (this.#frame * 6_000) >>> 0; // 90 kHz clock, 15 fps
    const payloads = packetizeVp8(frame);
    payloads.forEach((payload, i) => {
      this.#videoSeq = (this.#videoSeq + 1) & 0xffff;
      video.writeRtp(
        new RtpPacket(
          new RtpHeader({
            payloadType: 96,
            sequenceNumber: this.#videoSeq,
            timestamp,
            marker: i === payloads.length - 1,
          }),
          payload,
        ),
      );
    });
    this.framesSent += 1;
  }

  /** Tracks this source currently feeds. */
  get tracks(): readonly MediaStreamTrack[] {
    return this.#tracks;
  }
}
