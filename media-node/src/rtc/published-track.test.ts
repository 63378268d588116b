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

describe('PublishedTrack dynacast', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A simulcast track of rids `f`, `q`, `h` (in offer order) and what it announced. */
  function simulcastTrack() {
    const ridTrack = (rid: string) =>
      ({
        kind: 'video',
        rid,
        onReceiveRtp: { subscribe: () => ({ unSubscribe: () => {} }) },
      }) as unknown as MediaStreamTrack;
    const published = new PublishedTrack({
      id: 't',
      publisherSessionId: 's',
      publisherDeviceId: 'd',
      track: ridTrack('f'),
      receiver: {} as RTCRtpReceiver,
      counters: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 },
      onReceived: () => {},
      extensions: () => [],
      report: (error) => {
        throw error;
      },
    });
    published.addLayer(ridTrack('q'));
    published.addLayer(ridTrack('h'));
    const told: string[][] = [];
    published.onLayers = (active) => told.push(active);
    const forwarder = (layer: number) => ({
      layer,
      forward: () => {},
      close: () => {},
      neededLayer() {
        return this.layer;
      },
    });
    return { published, told, forwarder };
  }

  it('pauses the layers above every target after 2 s and resumes them at once', () => {
    const { published, told, forwarder } = simulcastTrack();
    expect(published.rids).toEqual(['q', 'h', 'f']);
    const thumb = forwarder(0);
    published.add(thumb);
    expect(told).toEqual([]);
    vi.advanceTimersByTime(1_999);
    expect(told).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(told).toEqual([['q']]);
    const tile = forwarder(1);
    published.add(tile);
    expect(told.at(-1)).toEqual(['q', 'h']);
    // A brief change back and forth within the delay pauses nothing.
    tile.layer = -1;
    published.targetsChanged();
    vi.advanceTimersByTime(1_000);
    tile.layer = 1;
    published.targetsChanged();
    vi.advanceTimersByTime(5_000);
    expect(told).toEqual([['q'], ['q', 'h']]);
    // Layers below the highest target stay on, received or not.
    thumb.layer = -1;
    published.targetsChanged();
    vi.advanceTimersByTime(5_000);
    expect(told).toEqual([['q'], ['q', 'h']]);
    published.add(forwarder(2));
    expect(told.at(-1)).toEqual(['q', 'h', 'f']);
    published.remove(tile);
    published.close();
  });

  it('pauses every layer when nobody subscribes', () => {
    const { published, told, forwarder } = simulcastTrack();
    const one = forwarder(2);
    published.add(one);
    published.remove(one);
    vi.advanceTimersByTime(2_000);
    expect(told).toEqual([[]]);
    published.close();
  });
});
