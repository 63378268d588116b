/**
 * Micro-benchmark: CPU cost per packet of SRTP protect with werift's SrtpSession (what
 * `sender.sendRtp` runs), our JS fallback and the native addon, for a ~1000-byte video and a
 * ~100-byte audio packet, both profiles. No network. ~0.45 s per row, ~6 s in total.
 *
 *   npx node media-node/src/fast/bench-srtp.ts
 */
import { randomBytes } from 'node:crypto';
import { RtpHeader, SrtpSession } from 'werift';
import { createSrtpContextFromMaster, nativeSrtpAvailable, type SrtpBackend } from './srtp.ts';
import { rtpPacket } from './srtp-test-helpers.ts';
import {
  masterSaltLength,
  PROFILE_AEAD_AES_128_GCM,
  PROFILE_AES_CM_128_HMAC_SHA1_80,
  type SrtpProfile,
} from './srtp-types.ts';

const WARMUP_MS = 100;
const MEASURE_MS = 350;

/** Runs `step` in batches until MEASURE_MS of wall time passed; returns CPU µs per call. */
function measure(step: (i: number) => void): number {
  let i = 0;
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) for (let k = 0; k < 100; k++) step(i++);
  const cpu0 = process.cpuUsage();
  const end = performance.now() + MEASURE_MS;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 100; k++) step(i++);
    n += 100;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

function weriftStep(profile: SrtpProfile, payloadBytes: number) {
  const session = new SrtpSession({
    keys: {
      localMasterKey: randomBytes(16),
      localMasterSalt: randomBytes(masterSaltLength(profile)),
      remoteMasterKey: randomBytes(16),
      remoteMasterSalt: randomBytes(masterSaltLength(profile)),
    },
    profile,
  });
  const payload = randomBytes(payloadBytes);
  const header = new RtpHeader({ ssrc: 0x1234, payloadType: 96, timestamp: 0 });
  return (i: number) => {
    header.sequenceNumber = i & 0xffff;
    session.encrypt(payload, header);
  };
}

function oursStep(profile: SrtpProfile, payloadBytes: number, backend: SrtpBackend) {
  const ctx = createSrtpContextFromMaster(profile, randomBytes(16), randomBytes(14), backend);
  const packet = rtpPacket({ seq: 0, ssrc: 0x1234, payload: randomBytes(payloadBytes) });
  const out = Buffer.alloc(packet.length + 16);
  return (i: number) => {
    packet[2] = i >>> 8;
    packet[3] = i;
    ctx.protectRtp(packet, packet.length, out);
  };
}

const rows: string[][] = [
  ['profile', 'packet', 'werift µs', 'js µs', 'native µs', 'js/werift', 'native/werift'],
];
for (const profile of [PROFILE_AEAD_AES_128_GCM, PROFILE_AES_CM_128_HMAC_SHA1_80] as const) {
  for (const [label, bytes] of [
    ['video 1000 B', 988],
    ['audio 100 B', 88],
  ] as const) {
    const w = measure(weriftStep(profile, bytes));
    const j = measure(oursStep(profile, bytes, 'js'));
    const n = nativeSrtpAvailable() ? measure(oursStep(profile, bytes, 'native')) : Number.NaN;
    rows.push([
      profile === PROFILE_AEAD_AES_128_GCM ? 'AEAD_AES_128_GCM' : 'AES_CM_128_HMAC_SHA1_80',
      label,
      w.toFixed(2),
      j.toFixed(2),
      n.toFixed(2),
      (j / w).toFixed(2),
      (n / w).toFixed(2),
    ]);
  }
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log('µs = CPU time (user+sys) per protected packet; ratio < 1 is faster than werift.');
