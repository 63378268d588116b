/**
 * How the SDK publishes camera video: simulcast, three encodings of the same camera at a
 * quarter, half and full resolution, named `q`, `h`, `f` (the names the media node and
 * `PUT .../subscriptions/:trackId` `{maxLayer}` use). Each subscriber then gets the one that
 * suits it, and nobody's weak downlink lowers what the others get.
 *
 * Lowest first: Chromium sends the encodings in this order and the node ranks them by name.
 * Bitrate caps are the usual ones for 320x180 / 640x360 / 1280x720 at 30 fps.
 */
export interface SimulcastEncoding {
  rid: 'q' | 'h' | 'f';
  scaleResolutionDownBy: number;
  maxBitrate: number;
  active: boolean;
}

export function cameraSimulcastEncodings(): SimulcastEncoding[] {
  return [
    { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000, active: true },
    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000, active: true },
    { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000, active: true },
  ];
}
