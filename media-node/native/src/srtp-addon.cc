// SRTP/SRTCP packet transforms for the forwarding hot path:
//   AES_CM_128_HMAC_SHA1_80 (RFC 3711) and AEAD_AES_128_GCM (RFC 7714).
//
// Why native: werift and node:crypto create a new OpenSSL cipher per packet (2.5-3.7 us per
// createCipheriv call on this machine); here each session keeps its EVP_CIPHER_CTX / HMAC_CTX with
// the key schedule done once, and a packet only resets the IV.
//
// Key derivation (RFC 3711 4.3) and roll-over-counter tracking stay in TypeScript: they run once per
// session or are shared with the JS fallback, so both backends produce identical bytes and only
// the per-packet transforms differ. Every function here is synchronous and allocation-free.
//
// Also (Linux only) `sendBatch`: the fast path's batched UDP send, one sendmmsg(2) per socket for
// every subscriber's copy of a packet (see the section below and media-node/src/fast/fast-send.ts).
//
// Buffers: `src` and `dst` are Uint8Arrays; `dst` may be the same memory as `src` (in place) or a
// disjoint region, never a partial overlap. Return values: output length, -1 when authentication
// fails, -2 when the packet is malformed or `dst` is too small.
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <string.h>

#ifdef __linux__
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#endif

namespace {

constexpr int32_t kProfileAesCm = 0x0001;  // SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764)
constexpr int32_t kProfileGcm = 0x0007;    // SRTP_AEAD_AES_128_GCM (RFC 7714)
constexpr size_t kHmacTagLen = 10;
constexpr size_t kGcmTagLen = 16;
constexpr size_t kIndexLen = 4;  // SRTCP trailer: E flag + 31-bit index
constexpr int32_t kAuthFailed = -1;
constexpr int32_t kMalformed = -2;

struct Keys {
  EVP_CIPHER_CTX* enc = nullptr;  // AES-CM: both directions (counter mode is symmetric)
  EVP_CIPHER_CTX* dec = nullptr;  // GCM only: tag checking needs a decrypt-initialised context
  HMAC_CTX* mac = nullptr;        // AES-CM only
  uint8_t salt[14] = {0};
};

struct Context {
  int32_t profile = 0;
  Keys rtp;
  Keys rtcp;
};

void FreeKeys(Keys& k) {
  if (k.enc) EVP_CIPHER_CTX_free(k.enc);
  if (k.dec) EVP_CIPHER_CTX_free(k.dec);
  if (k.mac) HMAC_CTX_free(k.mac);
  OPENSSL_cleanse(k.salt, sizeof k.salt);
  k = Keys();
}

bool InitKeys(Keys& k, int32_t profile, const uint8_t* key, const uint8_t* salt, size_t salt_len,
              const uint8_t* auth, size_t auth_len) {
  memcpy(k.salt, salt, salt_len);
  k.enc = EVP_CIPHER_CTX_new();
  if (!k.enc) return false;
  if (profile == kProfileGcm) {
    k.dec = EVP_CIPHER_CTX_new();
    return k.dec && EVP_EncryptInit_ex(k.enc, EVP_aes_128_gcm(), nullptr, key, nullptr) == 1 &&
           EVP_DecryptInit_ex(k.dec, EVP_aes_128_gcm(), nullptr, key, nullptr) == 1;
  }
  k.mac = HMAC_CTX_new();
  return k.mac && EVP_EncryptInit_ex(k.enc, EVP_aes_128_ctr(), nullptr, key, nullptr) == 1 &&
         HMAC_Init_ex(k.mac, auth, static_cast<int>(auth_len), EVP_sha1(), nullptr) == 1;
}

void FinalizeContext(napi_env, void* data, void*) {
  Context* c = static_cast<Context*>(data);
  FreeKeys(c->rtp);
  FreeKeys(c->rtcp);
  delete c;
}

inline uint32_t Be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline void XorBe32(uint8_t* p, uint32_t v) {
  p[0] ^= uint8_t(v >> 24);
  p[1] ^= uint8_t(v >> 16);
  p[2] ^= uint8_t(v >> 8);
  p[3] ^= uint8_t(v);
}
inline void PutBe32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// RTP header length including CSRCs and the header extension (RFC 3550 5.1/5.3.1); 0 if invalid.
size_t RtpHeaderLen(const uint8_t* p, size_t len) {
  if (len < 12 || (p[0] >> 6) != 2) return 0;
  size_t h = 12 + 4 * size_t(p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (len < h + 4) return 0;
    h += 4 + 4 * ((size_t(p[h + 2]) << 8) | p[h + 3]);
  }
  return h <= len ? h : 0;
}

// RFC 7714 8.1 / 9.1: IV = (00 00 || SSRC || a || b) XOR salt, with (a, b) = (ROC, SEQ) for RTP
// and (00 00, SRTCP index) for RTCP.
inline void GcmIv(uint8_t iv[12], const uint8_t salt[14], uint32_t ssrc, uint32_t hi, uint32_t lo,
                  bool rtp) {
  memcpy(iv, salt, 12);
  XorBe32(iv + 2, ssrc);
  if (rtp) {
    XorBe32(iv + 6, hi);
    iv[10] ^= uint8_t(lo >> 8);
    iv[11] ^= uint8_t(lo);
  } else {
    XorBe32(iv + 8, lo);
  }
}

// RFC 3711 4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16).
inline void CtrIv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint32_t index_hi,
                  uint32_t index_lo16) {
  memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  XorBe32(iv + 4, ssrc);
  XorBe32(iv + 8, index_hi);
  iv[12] ^= uint8_t(index_lo16 >> 8);
  iv[13] ^= uint8_t(index_lo16);
}

bool GcmSeal(EVP_CIPHER_CTX* c, const uint8_t iv[12], const uint8_t* aad, size_t aad_len,
             const uint8_t* in, size_t in_len, uint8_t* out, uint8_t* tag) {
  int n = 0;
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1) return false;
  if (EVP_EncryptUpdate(c, nullptr, &n, aad, int(aad_len)) != 1) return false;
  if (in_len && EVP_EncryptUpdate(c, out, &n, in, int(in_len)) != 1) return false;
  if (EVP_EncryptFinal_ex(c, out + in_len, &n) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, int(kGcmTagLen), tag) == 1;
}

bool GcmOpen(EVP_CIPHER_CTX* c, const uint8_t iv[12], const uint8_t* aad1, size_t aad1_len,
             const uint8_t* aad2, size_t aad2_len, const uint8_t* in, size_t in_len, uint8_t* out,
             const uint8_t* tag_in) {
  uint8_t tag[kGcmTagLen];
  memcpy(tag, tag_in, kGcmTagLen);
  int n = 0;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1) return false;
  if (EVP_DecryptUpdate(c, nullptr, &n, aad1, int(aad1_len)) != 1) return false;
  if (aad2_len && EVP_DecryptUpdate(c, nullptr, &n, aad2, int(aad2_len)) != 1) return false;
  if (in_len && EVP_DecryptUpdate(c, out, &n, in, int(in_len)) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, int(kGcmTagLen), tag) != 1) return false;
  return EVP_DecryptFinal_ex(c, out + in_len, &n) == 1;
}

bool Ctr(EVP_CIPHER_CTX* c, const uint8_t iv[16], const uint8_t* in, size_t len, uint8_t* out) {
  int n = 0;
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1) return false;
  return len == 0 || EVP_EncryptUpdate(c, out, &n, in, int(len)) == 1;
}

// HMAC-SHA1 over a || b, truncated to 80 bits. HMAC_Init_ex with a null key reuses the
// precomputed inner/outer pads, so no key setup per packet.
bool Hmac80(HMAC_CTX* m, const uint8_t* a, size_t a_len, const uint8_t* b, size_t b_len,
            uint8_t out[kHmacTagLen]) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  if (HMAC_Init_ex(m, nullptr, 0, nullptr, nullptr) != 1) return false;
  if (HMAC_Update(m, a, a_len) != 1) return false;
  if (b_len && HMAC_Update(m, b, b_len) != 1) return false;
  if (HMAC_Final(m, md, &md_len) != 1) return false;
  memcpy(out, md, kHmacTagLen);
  return true;
}

// ---- Node-API glue -------------------------------------------------------------------------

struct Bytes {
  uint8_t* data = nullptr;
  size_t len = 0;
};

bool GetBytes(napi_env env, napi_value v, Bytes* out) {
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value ab;
  size_t off = 0;
  if (napi_get_typedarray_info(env, v, &type, &out->len, &data, &ab, &off) != napi_ok ||
      type != napi_uint8_array) {
    return false;
  }
  out->data = static_cast<uint8_t*>(data);  // already adjusted by the view's byte offset
  return true;
}

napi_value Int(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value Fail(napi_env env, const char* msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

// Common argument shape of the four transforms: (ctx, src, srcLen, n, dst, dstOffset) where n is
// the ROC (RTP), the SRTCP index (protectRtcp) or ignored (unprotectRtcp).
struct Call {
  Context* ctx = nullptr;
  const uint8_t* src = nullptr;
  size_t src_len = 0;
  uint32_t n = 0;
  uint8_t* out = nullptr;
  size_t out_cap = 0;
};

bool ParseCall(napi_env env, napi_callback_info info, Call* call) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 6) {
    return false;
  }
  void* ext = nullptr;
  Bytes src, dst;
  uint32_t src_len = 0, dst_off = 0;
  if (napi_get_value_external(env, argv[0], &ext) != napi_ok || !GetBytes(env, argv[1], &src) ||
      napi_get_value_uint32(env, argv[2], &src_len) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &call->n) != napi_ok || !GetBytes(env, argv[4], &dst) ||
      napi_get_value_uint32(env, argv[5], &dst_off) != napi_ok || src_len > src.len ||
      dst_off > dst.len) {
    return false;
  }
  call->ctx = static_cast<Context*>(ext);
  call->src = src.data;
  call->src_len = src_len;
  call->out = dst.data + dst_off;
  call->out_cap = dst.len - dst_off;
  return true;
}

const char kBadArgs[] = "expected (context, Uint8Array, length, uint32, Uint8Array, offset)";

napi_value ProtectRtp(napi_env env, napi_callback_info info) {
  Call a;
  if (!ParseCall(env, info, &a)) return Fail(env, kBadArgs);
  const size_t h = RtpHeaderLen(a.src, a.src_len);
  const bool gcm = a.ctx->profile == kProfileGcm;
  const size_t total = a.src_len + (gcm ? kGcmTagLen : kHmacTagLen);
  if (!h || a.out_cap < total) return Int(env, kMalformed);
  const uint32_t ssrc = Be32(a.src + 8), seq = (uint32_t(a.src[2]) << 8) | a.src[3];
  const size_t plen = a.src_len - h;
  if (a.out != a.src) memcpy(a.out, a.src, h);
  Keys& k = a.ctx->rtp;
  if (gcm) {
    uint8_t iv[12];
    GcmIv(iv, k.salt, ssrc, a.n, seq, true);
    if (!GcmSeal(k.enc, iv, a.out, h, a.src + h, plen, a.out + h, a.out + a.src_len)) {
      return Int(env, kMalformed);
    }
  } else {
    uint8_t iv[16], roc[4];
    CtrIv(iv, k.salt, ssrc, a.n, seq);
    PutBe32(roc, a.n);
    if (!Ctr(k.enc, iv, a.src + h, plen, a.out + h) ||
        !Hmac80(k.mac, a.out, a.src_len, roc, 4, a.out + a.src_len)) {
      return Int(env, kMalformed);
    }
  }
  return Int(env, int32_t(total));
}

napi_value UnprotectRtp(napi_env env, napi_callback_info info) {
  Call a;
  if (!ParseCall(env, info, &a)) return Fail(env, kBadArgs);
  const bool gcm = a.ctx->profile == kProfileGcm;
  const size_t tag_len = gcm ? kGcmTagLen : kHmacTagLen;
  if (a.src_len < tag_len) return Int(env, kMalformed);
  const size_t body = a.src_len - tag_len;
  const size_t h = RtpHeaderLen(a.src, body);
  if (!h || a.out_cap < body) return Int(env, kMalformed);
  const uint32_t ssrc = Be32(a.src + 8), seq = (uint32_t(a.src[2]) << 8) | a.src[3];
  Keys& k = a.ctx->rtp;
  if (gcm) {
    uint8_t iv[12];
    GcmIv(iv, k.salt, ssrc, a.n, seq, true);
    if (!GcmOpen(k.dec, iv, a.src, h, nullptr, 0, a.src + h, body - h, a.out + h, a.src + body)) {
      return Int(env, kAuthFailed);
    }
  } else {
    uint8_t tag[kHmacTagLen], roc[4];
    PutBe32(roc, a.n);
    if (!Hmac80(k.mac, a.src, body, roc, 4, tag)) return Int(env, kMalformed);
    if (CRYPTO_memcmp(tag, a.src + body, kHmacTagLen) != 0) return Int(env, kAuthFailed);
    uint8_t iv[16];
    CtrIv(iv, k.salt, ssrc, a.n, seq);
    if (!Ctr(k.enc, iv, a.src + h, body - h, a.out + h)) return Int(env, kMalformed);
  }
  if (a.out != a.src) memcpy(a.out, a.src, h);
  return Int(env, int32_t(body));
}

napi_value ProtectRtcp(napi_env env, napi_callback_info info) {
  Call a;
  if (!ParseCall(env, info, &a)) return Fail(env, kBadArgs);
  const bool gcm = a.ctx->profile == kProfileGcm;
  const size_t total = a.src_len + kIndexLen + (gcm ? kGcmTagLen : kHmacTagLen);
  if (a.src_len < 8 || a.out_cap < total) return Int(env, kMalformed);
  const uint32_t ssrc = Be32(a.src + 4), index = a.n & 0x7fffffffu;
  uint8_t e_index[4];
  PutBe32(e_index, index | 0x80000000u);  // always encrypted (E = 1)
  if (a.out != a.src) memcpy(a.out, a.src, 8);
  Keys& k = a.ctx->rtcp;
  if (gcm) {
    // RFC 7714 9.2: AAD = first 8 octets || E + index; output = header || ct || tag || E + index.
    uint8_t iv[12], aad[12];
    GcmIv(iv, k.salt, ssrc, 0, index, false);
    memcpy(aad, a.src, 8);
    memcpy(aad + 8, e_index, 4);
    if (!GcmSeal(k.enc, iv, aad, 12, a.src + 8, a.src_len - 8, a.out + 8, a.out + a.src_len)) {
      return Int(env, kMalformed);
    }
    memcpy(a.out + a.src_len + kGcmTagLen, e_index, 4);
  } else {
    // RFC 3711 3.4: output = header || ct || E + index || HMAC(header || ct || E + index).
    uint8_t iv[16];
    CtrIv(iv, k.salt, ssrc, index >> 16, index & 0xffff);
    if (!Ctr(k.enc, iv, a.src + 8, a.src_len - 8, a.out + 8)) return Int(env, kMalformed);
    memcpy(a.out + a.src_len, e_index, 4);
    if (!Hmac80(k.mac, a.out, a.src_len + 4, nullptr, 0, a.out + a.src_len + 4)) {
      return Int(env, kMalformed);
    }
  }
  return Int(env, int32_t(total));
}

napi_value UnprotectRtcp(napi_env env, napi_callback_info info) {
  Call a;
  if (!ParseCall(env, info, &a)) return Fail(env, kBadArgs);
  const bool gcm = a.ctx->profile == kProfileGcm;
  const size_t tag_len = gcm ? kGcmTagLen : kHmacTagLen;
  if (a.src_len < 8 + kIndexLen + tag_len) return Int(env, kMalformed);
  const size_t plain = a.src_len - kIndexLen - tag_len;
  if (a.out_cap < plain) return Int(env, kMalformed);
  const uint8_t* e_index = gcm ? a.src + a.src_len - kIndexLen : a.src + plain;
  const bool encrypted = (e_index[0] & 0x80) != 0;
  const uint32_t ssrc = Be32(a.src + 4), index = Be32(e_index) & 0x7fffffffu;
  Keys& k = a.ctx->rtcp;
  if (gcm) {
    uint8_t iv[12];
    GcmIv(iv, k.salt, ssrc, 0, index, false);
    // E = 0 (RFC 7714 9.3): the whole packet is AAD and nothing is encrypted.
    const size_t aad_len = encrypted ? 8 : plain;
    if (!GcmOpen(k.dec, iv, a.src, aad_len, e_index, kIndexLen, a.src + aad_len, plain - aad_len,
                 a.out + aad_len, a.src + plain)) {
      return Int(env, kAuthFailed);
    }
    if (a.out != a.src) memcpy(a.out, a.src, aad_len);
  } else {
    uint8_t tag[kHmacTagLen];
    if (!Hmac80(k.mac, a.src, plain + kIndexLen, nullptr, 0, tag)) return Int(env, kMalformed);
    if (CRYPTO_memcmp(tag, a.src + plain + kIndexLen, kHmacTagLen) != 0) {
      return Int(env, kAuthFailed);
    }
    if (encrypted) {
      uint8_t iv[16];
      CtrIv(iv, k.salt, ssrc, index >> 16, index & 0xffff);
      if (!Ctr(k.enc, iv, a.src + 8, plain - 8, a.out + 8)) return Int(env, kMalformed);
      if (a.out != a.src) memcpy(a.out, a.src, 8);
    } else if (a.out != a.src) {
      memcpy(a.out, a.src, plain);
    }
  }
  return Int(env, int32_t(plain));
}

#ifdef __linux__
// ---- Batched UDP sends ---------------------------------------------------------------------
//
// sendBatch(buf, desc, count, mode) hands `count` datagrams to the kernel in one call from JS.
// Every datagram is `buf[offset, offset + len)`; `desc` is an Int32Array with kDescStride slots
// per datagram: fd, offset, len, port, IPv4 address (host order, as int32), status (out), 2 x
// reserved. The fds are the non-blocking UDP sockets libuv opened for Node's dgram sockets
// (werift's ICE sockets); writing to them directly bypasses dgram's JS send path and libuv's send
// queue (UDP: no ordering promise between the two paths, and none is needed).
//
// mode 0 (sendmmsg): datagrams are grouped by fd, order kept within an fd, one sendmmsg(2) per
// distinct fd and chunk of kMaxBatch. mode 1 (sendmsg): one sendmsg(2) per datagram, in order.
// A datagram with fd < 0 is skipped (status EBADF). The kernel copies the bytes before the call
// returns, so `buf` may be reused as soon as this returns.
//
// Never throws for send errors: each datagram's status is 0 (handed to the kernel) or the errno
// (EAGAIN/EWOULDBLOCK when the socket buffer is full, ENOBUFS, ...); EAGAIN also fails the rest of
// that fd's datagrams in this batch without trying them (the buffer will not drain within this
// call). Returns the number of datagrams that failed, or -2 for bad arguments.
constexpr uint32_t kDescStride = 8;
constexpr uint32_t kMaxBatch = 1024;  // UIO_MAXIOV: the most sendmmsg takes in one call

struct SendScratch {
  mmsghdr msgs[kMaxBatch];
  iovec iov[kMaxBatch];
  sockaddr_in addr[kMaxBatch];
  uint32_t order[kMaxBatch];
  mmsghdr group[kMaxBatch];  // one fd's datagrams, contiguous for sendmmsg
};
// One per thread: every worker thread (media-node/src/workers) sends from its own event loop, and
// a shared scratch area would mix their batches. Within a thread JS calls this without re-entrancy.
thread_local SendScratch g_send;

void FailRest(int32_t* desc, const uint32_t* order, uint32_t from, uint32_t to, int err,
              int32_t* failed) {
  for (uint32_t j = from; j < to; j++) {
    desc[order[j] * kDescStride + 5] = err;
    (*failed)++;
  }
}

napi_value SendBatch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Bytes buf;
  napi_typedarray_type type;
  size_t desc_len = 0;
  void* desc_data = nullptr;
  napi_value ab;
  size_t off = 0;
  uint32_t count = 0;
  int32_t mode = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4 ||
      !GetBytes(env, argv[0], &buf) ||
      napi_get_typedarray_info(env, argv[1], &type, &desc_len, &desc_data, &ab, &off) != napi_ok ||
      type != napi_int32_array || napi_get_value_uint32(env, argv[2], &count) != napi_ok ||
      napi_get_value_int32(env, argv[3], &mode) != napi_ok || count > kMaxBatch ||
      size_t(count) * kDescStride > desc_len) {
    return Int(env, kMalformed);
  }
  int32_t* desc = static_cast<int32_t*>(desc_data);
  SendScratch& s = g_send;
  int32_t failed = 0;
  uint32_t n = 0;  // datagrams to send, in s.order
  for (uint32_t i = 0; i < count; i++) {
    int32_t* d = desc + i * kDescStride;
    const int32_t fd = d[0];
    const uint32_t o = uint32_t(d[1]), len = uint32_t(d[2]);
    if (fd < 0 || d[1] < 0 || d[2] < 0 || size_t(o) + len > buf.len || d[3] <= 0 ||
        d[3] > 65535) {
      d[5] = fd < 0 ? EBADF : EINVAL;
      failed++;
      continue;
    }
    d[5] = 0;
    sockaddr_in& a = s.addr[i];
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(d[3]));
    a.sin_addr.s_addr = htonl(uint32_t(d[4]));
    s.iov[i].iov_base = buf.data + o;
    s.iov[i].iov_len = len;
    msghdr& h = s.msgs[i].msg_hdr;
    memset(&h, 0, sizeof h);
    h.msg_name = &a;
    h.msg_namelen = sizeof a;
    h.msg_iov = &s.iov[i];
    h.msg_iovlen = 1;
    s.msgs[i].msg_len = 0;
    s.order[n++] = i;
  }
  if (mode == 1) {
    for (uint32_t j = 0; j < n; j++) {
      const uint32_t i = s.order[j];
      ssize_t r;
      do {
        r = sendmsg(desc[i * kDescStride], &s.msgs[i].msg_hdr, MSG_DONTWAIT | MSG_NOSIGNAL);
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        desc[i * kDescStride + 5] = errno;
        failed++;
      }
    }
    return Int(env, failed);
  }
  // Group by fd, keeping each fd's datagrams in their original order.
  std::stable_sort(s.order, s.order + n, [desc](uint32_t x, uint32_t y) {
    return desc[x * kDescStride] < desc[y * kDescStride];
  });
  mmsghdr* group = s.group;
  uint32_t j = 0;
  while (j < n) {
    const int fd = desc[s.order[j] * kDescStride];
    uint32_t end = j;
    while (end < n && desc[s.order[end] * kDescStride] == fd) end++;
    uint32_t k = j;
    while (k < end) {
      const uint32_t m = end - k;
      for (uint32_t q = 0; q < m; q++) group[q] = s.msgs[s.order[k + q]];
      int r;
      do {
        r = sendmmsg(fd, group, m, MSG_DONTWAIT | MSG_NOSIGNAL);
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) {
          FailRest(desc, s.order, k, end, err, &failed);
          break;
        }
        FailRest(desc, s.order, k, k + 1, err, &failed);  // skip the datagram the kernel refused
        k++;
      } else {
        k += uint32_t(r > 0 ? r : 0);
        if (r == 0) {  // nothing taken and no error: do not spin
          FailRest(desc, s.order, k, end, EAGAIN, &failed);
          break;
        }
      }
    }
    j = end;
  }
  return Int(env, failed);
}
#endif

// createContext(profile, rtpKey, rtpSalt, rtpAuthKey, rtcpKey, rtcpSalt, rtcpAuthKey): session
// keys (already derived); auth keys are ignored (may be empty) for GCM.
napi_value CreateContext(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int32_t profile = 0;
  Bytes b[6];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 7 ||
      napi_get_value_int32(env, argv[0], &profile) != napi_ok) {
    return Fail(env, "expected (profile, 6 x Uint8Array)");
  }
  for (int i = 0; i < 6; i++) {
    if (!GetBytes(env, argv[i + 1], &b[i])) return Fail(env, "expected Uint8Array keys");
  }
  const bool gcm = profile == kProfileGcm;
  if (!gcm && profile != kProfileAesCm) return Fail(env, "unsupported SRTP profile");
  const size_t salt_len = gcm ? 12 : 14;
  for (int i = 0; i < 6; i += 3) {
    if (b[i].len != 16 || b[i + 1].len < salt_len || (!gcm && b[i + 2].len != 20)) {
      return Fail(env, "bad SRTP session key, salt or auth key length");
    }
  }
  Context* c = new Context();
  c->profile = profile;
  if (!InitKeys(c->rtp, profile, b[0].data, b[1].data, salt_len, b[2].data, b[2].len) ||
      !InitKeys(c->rtcp, profile, b[3].data, b[4].data, salt_len, b[5].data, b[5].len)) {
    FinalizeContext(env, c, nullptr);
    return Fail(env, "OpenSSL context setup failed");
  }
  napi_value ext;
  if (napi_create_external(env, c, FinalizeContext, nullptr, &ext) != napi_ok) {
    FinalizeContext(env, c, nullptr);
    return Fail(env, "napi_create_external failed");
  }
  return ext;
}

// The OpenSSL the symbols resolved to at load time (the node binary's), for the start-up log.
napi_value OpensslVersion(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &r);
  return r;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"createContext", nullptr, CreateContext, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"protectRtp", nullptr, ProtectRtp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unprotectRtp", nullptr, UnprotectRtp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"protectRtcp", nullptr, ProtectRtcp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unprotectRtcp", nullptr, UnprotectRtcp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"opensslVersion", nullptr, OpensslVersion, nullptr, nullptr, nullptr, napi_default,
       nullptr},
#ifdef __linux__
      {"sendBatch", nullptr, SendBatch, nullptr, nullptr, nullptr, napi_default, nullptr},
#endif
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
