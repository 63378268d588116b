import { createRequire } from 'node:module';
import type { SrtpCipher, SrtpSessionKeys } from './srtp-types.ts';

/** Where node-gyp puts the addon (`media-node/native/build/Release`). */
const ADDON_PATH = '../../native/build/Release/srtp.node';

/** Opaque per-session handle owning the OpenSSL contexts; freed by the addon when collected. */
type NativeContext = object & { readonly __nativeSrtp: unique symbol };

/** The functions `media-node/native/src/srtp-addon.cc` exports. */
export interface SrtpAddon {
  createContext(
    profile: number,
    rtpKey: Uint8Array,
    rtpSalt: Uint8Array,
    rtpAuthKey: Uint8Array,
    rtcpKey: Uint8Array,
    rtcpSalt: Uint8Array,
    rtcpAuthKey: Uint8Array,
  ): NativeContext;
  protectRtp(
    ctx: NativeContext,
    src: Uint8Array,
    srcLen: number,
    roc: number,
    dst: Uint8Array,
    dstOffset: number,
  ): number;
  unprotectRtp(
    ctx: NativeContext,
    src: Uint8Array,
    srcLen: number,
    roc: number,
    dst: Uint8Array,
    dstOffset: number,
  ): number;
  protectRtcp(
    ctx: NativeContext,
    src: Uint8Array,
    srcLen: number,
    index: number,
    dst: Uint8Array,
    dstOffset: number,
  ): number;
  unprotectRtcp(
    ctx: NativeContext,
    src: Uint8Array,
    srcLen: number,
    unused: number,
    dst: Uint8Array,
    dstOffset: number,
  ): number;
  opensslVersion(): string;
  /**
   * Linux builds only (absent elsewhere and in addons built before it existed): hands `count`
   * datagrams to the kernel in one call, see `fast-send.ts` for the descriptor layout. Returns
   * how many failed (their errno in the descriptor's status slot), -2 for bad arguments.
   */
  sendBatch?(buf: Uint8Array, desc: Int32Array, count: number, mode: number): number;
}

/** Loads the addon; throws (module not found, bad ELF, missing symbol) when it cannot be used. */
export function loadSrtpAddon(): SrtpAddon {
  return createRequire(import.meta.url)(ADDON_PATH) as SrtpAddon;
}

/** SRTP transforms in the addon: one reused EVP_CIPHER_CTX / HMAC_CTX per key. */
export class NativeSrtpCipher implements SrtpCipher {
  private readonly addon: SrtpAddon;
  private readonly ctx: NativeContext;

  constructor(addon: SrtpAddon, keys: SrtpSessionKeys) {
    this.addon = addon;
    this.ctx = addon.createContext(
      keys.profile,
      keys.rtpKey,
      keys.rtpSalt,
      keys.rtpAuthKey,
      keys.rtcpKey,
      keys.rtcpSalt,
      keys.rtcpAuthKey,
    );
  }

  protectRtp(src: Uint8Array, srcLen: number, roc: number, dst: Uint8Array, dstOffset: number) {
    return this.addon.protectRtp(this.ctx, src, srcLen, roc, dst, dstOffset);
  }

  unprotectRtp(src: Uint8Array, srcLen: number, roc: number, dst: Uint8Array, dstOffset: number) {
    return this.addon.unprotectRtp(this.ctx, src, srcLen, roc, dst, dstOffset);
  }

  protectRtcp(src: Uint8Array, srcLen: number, index: number, dst: Uint8Array, dstOffset: number) {
    return this.addon.protectRtcp(this.ctx, src, srcLen, index, dst, dstOffset);
  }

  unprotectRtcp(src: Uint8Array, srcLen: number, dst: Uint8Array, dstOffset: number) {
    return this.addon.unprotectRtcp(this.ctx, src, srcLen, 0, dst, dstOffset);
  }
}
