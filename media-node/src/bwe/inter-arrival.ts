/**
 * Packet groups for the delay-based estimator (draft-ietf-rmcat-gcc-02 5.2, libwebrtc's
 * `InterArrival`): packets sent within `BURST_MS` of a group's first packet form one group (a
 * video frame is sent as a burst), and the estimator looks at how the spacing of consecutive
 * groups changed between sender and receiver.
 */

/** Packets sent within this many ms of a group's first packet belong to the group. */
export const BURST_MS = 5;

/** The change in spacing between the two last complete groups. */
export interface GroupDelta {
  /** Send time of the later group minus the earlier one's (ms). */
  sendDeltaMs: number;
  /** Arrival time of the later group minus the earlier one's (ms). */
  arrivalDeltaMs: number;
  /** Arrival time of the later group's last packet (receiver clock, ms). */
  arrivalMs: number;
}

interface Group {
  firstSendMs: number;
  lastSendMs: number;
  lastArrivalMs: number;
}

export class InterArrival {
  #current: Group | undefined;
  #previous: Group | undefined;

  /**
   * Adds one received packet, in send order; returns the delta of the two last complete groups
   * when this packet starts a new group. A packet sent before the current group (reordered on
   * the way to us) is ignored; arrivals that go backwards (receiver clock jump) reset.
   */
  add(sendMs: number, arrivalMs: number): GroupDelta | undefined {
    const cur = this.#current;
    if (!cur) {
      this.#current = { firstSendMs: sendMs, lastSendMs: sendMs, lastArrivalMs: arrivalMs };
      return undefined;
    }
    if (sendMs < cur.firstSendMs) return undefined;
    if (sendMs - cur.firstSendMs <= BURST_MS) {
      cur.lastSendMs = Math.max(cur.lastSendMs, sendMs);
      cur.lastArrivalMs = Math.max(cur.lastArrivalMs, arrivalMs);
      return undefined;
    }
    const prev = this.#previous;
    let delta: GroupDelta | undefined;
    if (prev) {
      const arrivalDeltaMs = cur.lastArrivalMs - prev.lastArrivalMs;
      if (arrivalDeltaMs < 0) {
        this.reset();
        this.#current = { firstSendMs: sendMs, lastSendMs: sendMs, lastArrivalMs: arrivalMs };
        return undefined;
      }
      delta = {
        sendDeltaMs: cur.lastSendMs - prev.lastSendMs,
        arrivalDeltaMs,
        arrivalMs: cur.lastArrivalMs,
      };
    }
    this.#previous = cur;
    this.#current = { firstSendMs: sendMs, lastSendMs: sendMs, lastArrivalMs: arrivalMs };
    return delta;
  }

  reset(): void {
    this.#current = undefined;
    this.#previous = undefined;
  }
}
