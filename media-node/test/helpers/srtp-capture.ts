/**
 * Copies of the raw SRTP/SRTCP datagrams a werift test client receives, decrypted afterwards
 * with the project's JS SRTP implementation (independent of the native addon the node may use
 * and of werift's own SRTP), from the keys werift's DTLS exported.
 *
 * werift 0.25.2 internals: `pc.dtlsTransports[0].srtp.config.{profile, keys}` and the ICE
 * connection's `onData` Event, which werift reads per datagram (`this.onData.execute`), so a
 * wrapper property sees every datagram and passes it on unchanged.
 */
import type { RTCPeerConnection } from 'werift';
import { createSrtpContextFromMaster } from '../../src/fast/srtp.ts';
import type { SrtpContext } from '../../src/fast/srtp-context.ts';
import { isSrtpProfile } from '../../src/fast/srtp-types.ts';

interface DtlsLike {
  srtp: { config: { profile: unknown; keys: Record<string, Buffer> } };
  iceTransport: { connection: { onData: { execute(data: Buffer): void } } };
}

export class SrtpCapture {
  readonly rtp: Buffer[] = [];
  readonly rtcp: Buffer[] = [];
  readonly #ctx: SrtpContext;

  constructor(pc: RTCPeerConnection, limit = 5_000) {
    const dtls = pc.dtlsTransports[0] as unknown as DtlsLike;
    const { profile, keys } = dtls.srtp.config;
    if (!isSrtpProfile(profile)) throw new Error(`unexpected SRTP profile ${String(profile)}`);
    const { remoteMasterKey, remoteMasterSalt } = keys;
    if (!remoteMasterKey || !remoteMasterSalt) throw new Error('no SRTP keys yet');
    this.#ctx = createSrtpContextFromMaster(profile, remoteMasterKey, remoteMasterSalt, 'js');
    const connection = dtls.iceTransport.connection;
    const original = connection.onData;
    connection.onData = {
      execute: (data: Buffer) => {
        const b0 = data[0] ?? 0;
        if (b0 >= 128 && b0 <= 191) {
          const pt = (data[1] ?? 0) & 0x7f;
          const list = pt >= 64 && pt <= 95 ? this.rtcp : this.rtp;
          if (list.length < limit) list.push(Buffer.from(data));
        }
        original.execute(data);
      },
    };
  }

  /** Decrypts one captured SRTP packet in capture order (ROC tracking needs that order). */
  decryptRtp(packet: Buffer): Buffer | undefined {
    const out = Buffer.alloc(packet.length);
    const n = this.#ctx.unprotectRtp(packet, packet.length, out, 0);
    return n < 0 ? undefined : out.subarray(0, n);
  }

  decryptRtcp(packet: Buffer): Buffer | undefined {
    const out = Buffer.alloc(packet.length);
    const n = this.#ctx.unprotectRtcp(packet, packet.length, out, 0);
    return n < 0 ? undefined : out.subarray(0, n);
  }
}
