import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MediaStreamTrack, RTCRtpReceiver } from 'werift';
import { PublishedTrack } from './published-track.ts';

/** A video track whose PLIs are counted (werift's track and receiver reduced to what is used). */
function videoTrack() {
  const sent: unknown[] = [];
  const track = {
    kind: 'video',
    ssrc: 1234,
    onReceiveRtp: { subscribe: () => ({ unSubscribe: () => {} }) },
  } as unknown as MediaStreamTrack;
  const receiver = {
    dtlsTransport: { sendRtcp: async (packets: unknown[]) => void sent.push(...packets) },
  } as unknown as RTCRtpReceiver;
  const published = new PublishedTrack({
    id: 't',
    publisherSessionId: 's',
    publisherDeviceId: 'd',
    track,
    receiver,
    counters: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 },
    onReceived: () => {},
    extensions: () => [],
    report: (error) => {
      throw error;
    },
  });
  return { published, sent };
}

describe('PublishedTrack.requestKeyframe', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends one PLI at once and merges the requests of the next 200 ms into one at its end', () => {
    const { published, sent } = videoTrack();
    published.requestKeyframe();
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(100);
    published.requestKeyframe(); // a second subscriber 100 ms later: not dropped
    published.requestKeyframe();
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(2);
  });

  it('close() cancels a merged request', () => {
    const { published, sent } = videoTrack();
    published.requestKeyframe();
    published.requestKeyframe();
    published.close();
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(1);
  });
});
