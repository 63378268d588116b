import { SrtpContext } from './srtp-context.ts';
import { JsSrtpCipher } from './srtp-js.ts';
import { deriveSessionKeys } from './srtp-kdf.ts';
import { loadSrtpAddon, NativeSrtpCipher, type SrtpAddon } from './srtp-native.ts';
import {
  PROFILE_AEAD_AES_128_GCM,
  PROFILE_AES_CM_128_HMAC_SHA1_80,
  type SrtpProfile,
  type SrtpSessionKeys,
} from './srtp-types.ts';

/**
 * SRTP backend selection. The native addon is used when it was built and passes a self-test
 * against the JS implementation at load; otherwise the JS path runs and says why. Set
 * `MEDIA_SRTP_BACKEND=js` to force the JS path (e.g. to compare in a benchmark).
 */
export type SrtpBackend = 'native' | 'js';

interface Selected {
  addon: SrtpAddon | undefined;
  detail: string;
}

const selected: Selected = select();
console.info(`[media-node] srtp backend=${selected.addon ? 'native' : 'js'} (${selected.detail})`);

/** The backend `createSrtpContext` uses; for the start-up log and a metric label. */
export function srtpBackend(): SrtpBackend {
  return selected.addon ? 'native' : 'js';
}

/** The addon in use, when the native backend is selected (the batched UDP sender needs it). */
export function nativeSrtpAddon(): SrtpAddon | undefined {
  return selected.addon;
}

/** Whether the native addon loaded (tests compare both backends side by side). */
export function nativeSrtpAvailable(): boolean {
  return selected.addon !== undefined;
}

/**
 * A context for one direction from session keys. `backend` overrides the selection; asking for
 * 'native' when it is unavailable throws.
 */
export function createSrtpContext(keys: SrtpSessionKeys, backend?: SrtpBackend): SrtpContext {
  const useNative = backend ? backend === 'native' : selected.addon !== undefined;
  if (useNative) {
    if (!selected.addon) throw new Error(`native SRTP unavailable: ${selected.detail}`);
    return new SrtpContext(keys.profile, new NativeSrtpCipher(selected.addon, keys));
  }
  return new SrtpContext(keys.profile, new JsSrtpCipher(keys));
}

/** A context from the DTLS-exported master key and salt (derives the session keys first). */
export function createSrtpContextFromMaster(
  profile: SrtpProfile,
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  backend?: SrtpBackend,
): SrtpContext {
  return createSrtpContext(deriveSessionKeys(profile, masterKey, masterSalt), backend);
}

function select(): Selected {
  if (process.env.MEDIA_SRTP_BACKEND === 'js') {
    return { addon: undefined, detail: 'MEDIA_SRTP_BACKEND=js' };
  }
  let addon: SrtpAddon;
  try {
    addon = loadSrtpAddon();
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { addon: undefined, detail: `native addon not loaded: ${message}` };
  }
  try {
    const mismatch = selfTest(addon);
    if (mismatch) return { addon: undefined, detail: `native self-test failed: ${mismatch}` };
  } catch (error) {
    return { addon: undefined, detail: `native self-test threw: ${String(error)}` };
  }
  return { addon, detail: addon.opensslVersion() };
}

/**
 * Protects and unprotects one RTP and one RTCP packet per profile with both backends and compares
 * bytes, so a mis-built addon (wrong headers, an OpenSSL that behaves differently) falls back to
 * JS instead of sending packets nobody can decrypt. Returns the first mismatch, or undefined.
 */
function selfTest(addon: SrtpAddon): string | undefined {
  const rtp = Buffer.from(
    '900f1234decafbadcafebabebede0001c0ffee00abababababababababababab',
    'hex',
  );
  const rtcp = Buffer.from('81c8000bcafebabeabababababababababababababababab', 'hex');
  const roc = 0x10002;
  for (const profile of [PROFILE_AEAD_AES_128_GCM, PROFILE_AES_CM_128_HMAC_SHA1_80] as const) {
    const keys = deriveSessionKeys(profile, Buffer.alloc(16, 7), Buffer.alloc(14, 9));
    const native = new NativeSrtpCipher(addon, keys);
    const js = new JsSrtpCipher(keys);
    const out = () => [Buffer.alloc(64), Buffer.alloc(64), Buffer.alloc(64)] as const;

    const [a, b, plain] = out();
    const n = native.protectRtp(rtp, rtp.length, roc, a, 0);
    if (n !== js.protectRtp(rtp, rtp.length, roc, b, 0) || !a.equals(b)) return `${profile} rtp`;
    if (native.unprotectRtp(a, n, roc, plain, 0) !== rtp.length) return `${profile} rtp back`;
    if (!plain.subarray(0, rtp.length).equals(rtp)) return `${profile} rtp plain`;

    const [c, d, plain2] = out();
    const m = native.protectRtcp(rtcp, rtcp.length, roc, c, 0);
    if (m !== js.protectRtcp(rtcp, rtcp.length, roc, d, 0) || !c.equals(d))
      return `${profile} rtcp`;
    if (native.unprotectRtcp(c, m, plain2, 0) !== rtcp.length) return `${profile} rtcp back`;
    if (!plain2.subarray(0, rtcp.length).equals(rtcp)) return `${profile} rtcp plain`;
  }
  return undefined;
}
