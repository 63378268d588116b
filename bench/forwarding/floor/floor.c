/*
 * The forwarding floor (bench/forwarding/floor/floor-path.ts): only what an SFU physically must
 * do per packet, in C with OpenSSL, to give the machine's packets-per-CPU-second ceiling beside
 * the real paths in the same run.
 *
 *   floor load <publishers> <subscribers>
 *     Load generator and sink (on the harness's core, not measured). Prints "sink <port>", reads
 *     "fwd <port>" on stdin, then every 20 ms sends each publisher's audio (100 B) and video
 *     (1000 B) packet, SRTP AEAD_AES_128_GCM-protected (RFC 7714), to the forwarder, and counts
 *     what comes back per subscriber (SSRC = subscriber << 8 | stream). Stdin "start" / "stop"
 *     delimit a window by send tick (the RTP timestamp carries it); after "stop" and a drain it
 *     prints "result <sent> <received> <min received of one subscriber>".
 *   floor fwd <sink port> <subscribers>
 *     The forwarder (pinned and CPU-limited like the SFU; its CPU is what is measured). Prints
 *     "fwd <port>". Per incoming packet (recvmmsg, up to 64 at a time): one AES-GCM decrypt with
 *     tag check, then per subscriber a header rewrite (SSRC, sequence number), one AES-GCM
 *     encrypt with that subscriber's key (one reused EVP context each, as the media node's addon
 *     keeps) and the datagram in one sendmmsg call for all subscribers.
 */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR 12
#define TAG 16
#define MAXPKT 1200
#define TICK_NS 20000000LL
#define RX_BATCH 64

static const uint8_t KEY_IN[16] = "floor-ingress-k";
static const uint8_t SALT[12] = "floor-salt-";

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int udp_socket(int rcvbuf) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int sndbuf = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  return fd;
}

static int port_of(int fd) {
  struct sockaddr_in a;
  socklen_t n = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &n);
  return ntohs(a.sin_port);
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return a;
}

/* RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt, ROC 0 here. */
static void gcm_iv(uint8_t iv[12], const uint8_t *salt, uint32_t ssrc, uint16_t seq) {
  memcpy(iv, salt, 12);
  iv[2] ^= ssrc >> 24, iv[3] ^= ssrc >> 16, iv[4] ^= ssrc >> 8, iv[5] ^= ssrc;
  iv[10] ^= seq >> 8, iv[11] ^= seq;
}

static EVP_CIPHER_CTX *gcm_ctx(const uint8_t key[16], int enc) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  if (!c || (enc ? EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, NULL)
                 : EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, NULL)) != 1)
    die("EVP init");
  return c;
}

/* Encrypts pkt[HDR..HDR+len) in place after the header, appends the tag; returns the size. */
static int seal(EVP_CIPHER_CTX *c, const uint8_t *salt, uint8_t *pkt, int len) {
  uint8_t iv[12];
  int n;
  gcm_iv(iv, salt, ntohl(*(uint32_t *)(pkt + 8)), ntohs(*(uint16_t *)(pkt + 2)));
  if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      EVP_EncryptUpdate(c, NULL, &n, pkt, HDR) != 1 ||
      EVP_EncryptUpdate(c, pkt + HDR, &n, pkt + HDR, len) != 1 ||
      EVP_EncryptFinal_ex(c, pkt + HDR + len, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, pkt + HDR + len) != 1)
    return -1;
  return HDR + len + TAG;
}

/* Decrypts an SRTP packet of `size` bytes into out (header copied); returns the payload size. */
static int open_(EVP_CIPHER_CTX *c, const uint8_t *pkt, int size, uint8_t *out) {
  int len = size - HDR - TAG, n;
  uint8_t iv[12];
  if (len < 0) return -1;
  gcm_iv(iv, SALT, ntohl(*(const uint32_t *)(pkt + 8)), ntohs(*(const uint16_t *)(pkt + 2)));
  memcpy(out, pkt, HDR);
  if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      EVP_DecryptUpdate(c, NULL, &n, pkt, HDR) != 1 ||
      EVP_DecryptUpdate(c, out + HDR, &n, pkt + HDR, len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, (void *)(pkt + HDR + len)) != 1 ||
      EVP_DecryptFinal_ex(c, out + HDR + len, &n) != 1)
    return -1;
  return len;
}

static _Noreturn void fwd(int sink_port, int subs) {
  int fd = udp_socket(8 << 20);
  printf("fwd %d\n", port_of(fd));
  fflush(stdout);
  struct sockaddr_in sink = loopback(sink_port);
  EVP_CIPHER_CTX *dec = gcm_ctx(KEY_IN, 0);
  EVP_CIPHER_CTX **enc = calloc(subs, sizeof *enc);
  uint8_t(*salts)[12] = calloc(subs, 12);
  uint16_t *seqs = calloc((size_t)subs * 256, sizeof *seqs);
  uint8_t *out = malloc((size_t)subs * MAXPKT);
  struct mmsghdr *tx = calloc(subs, sizeof *tx);
  struct iovec *txv = calloc(subs, sizeof *txv);
  for (int s = 0; s < subs; s++) {
    uint8_t key[16];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)(KEY_IN[i] ^ s ^ (s >> 8) ^ i);
    for (int i = 0; i < 12; i++) salts[s][i] = (uint8_t)(SALT[i] ^ (s * 7 + i));
    enc[s] = gcm_ctx(key, 1);
    tx[s].msg_hdr.msg_name = &sink;
    tx[s].msg_hdr.msg_namelen = sizeof sink;
    tx[s].msg_hdr.msg_iov = &txv[s];
    tx[s].msg_hdr.msg_iovlen = 1;
    txv[s].iov_base = out + (size_t)s * MAXPKT;
  }
  static uint8_t rx[RX_BATCH][MAXPKT], plain[MAXPKT];
  struct mmsghdr rxm[RX_BATCH];
  struct iovec rxv[RX_BATCH];
  for (int i = 0; i < RX_BATCH; i++) {
    rxv[i] = (struct iovec){rx[i], MAXPKT};
    rxm[i].msg_hdr = (struct msghdr){.msg_iov = &rxv[i], .msg_iovlen = 1};
  }
  for (;;) {
    int n = recvmmsg(fd, rxm, RX_BATCH, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recvmmsg");
    }
    for (int i = 0; i < n; i++) {
      int len = open_(dec, rx[i], (int)rxm[i].msg_len, plain);
      if (len < 0) continue; /* not authentic: dropped */
      uint8_t stream = plain[11]; /* publisher's SSRC: p * 2 + kind + 1 */
      for (int s = 0; s < subs; s++) {
        uint8_t *o = out + (size_t)s * MAXPKT;
        memcpy(o, plain, HDR + len);
        uint32_t ssrc = htonl(((uint32_t)s << 8) | stream);
        uint16_t seq = htons(seqs[(size_t)s * 256 + stream]++);
        memcpy(o + 8, &ssrc, 4);
        memcpy(o + 2, &seq, 2);
        int size = seal(enc[s], salts[s], o, len);
        if (size < 0) die("seal");
        txv[s].iov_len = (size_t)size;
      }
      for (int done = 0; done < subs;) {
        int k = sendmmsg(fd, tx + done, (unsigned)(subs - done), 0);
        if (k < 0) {
          if (errno == EINTR) continue;
          break; /* ENOBUFS / EAGAIN: the rest of this packet's fan-out is lost */
        }
        done += k;
      }
    }
  }
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int load(int publishers, int subs) {
  int sink = udp_socket(32 << 20), feed = udp_socket(1 << 20);
  printf("sink %d\n", port_of(sink));
  fflush(stdout);
  int fwd_port;
  if (scanf(" fwd %d", &fwd_port) != 1) die("expected 'fwd <port>' on stdin");
  struct sockaddr_in to = loopback(fwd_port);
  EVP_CIPHER_CTX *enc = gcm_ctx(KEY_IN, 1);
  long long *got = calloc(subs, sizeof *got);
  long long sent = 0;
  uint32_t tick = 0, w0 = UINT32_MAX, w1 = UINT32_MAX;
  long long next = now_ns(), stop_at = 0;
  static uint8_t rx[256][MAXPKT];
  struct mmsghdr rxm[256];
  struct iovec rxv[256];
  for (int i = 0; i < 256; i++) {
    rxv[i] = (struct iovec){rx[i], MAXPKT};
    rxm[i].msg_hdr = (struct msghdr){.msg_iov = &rxv[i], .msg_iovlen = 1};
  }
  char line[64];
  size_t have = 0;
  for (;;) {
    long long now = now_ns();
    if (now >= next) {
      for (int p = 0; p < publishers; p++) {
        for (int kind = 0; kind < 2; kind++) {
          uint8_t pkt[MAXPKT] = {0};
          int len = kind ? 1000 : 100;
          uint32_t ssrc = htonl((uint32_t)(p * 2 + kind + 1)), ts = htonl(tick);
          uint16_t seq = htons((uint16_t)tick);
          pkt[0] = 0x80, pkt[1] = kind ? 96 : 111;
          memcpy(pkt + 2, &seq, 2), memcpy(pkt + 4, &ts, 4), memcpy(pkt + 8, &ssrc, 4);
          int size = seal(enc, SALT, pkt, len);
          if (sendto(feed, pkt, size, 0, (struct sockaddr *)&to, sizeof to) == size &&
              tick >= w0 && tick < w1)
            sent++;
        }
      }
      tick++;
      next += TICK_NS;
      continue;
    }
    if (stop_at && now >= stop_at) {
      long long total = 0, min = -1;
      for (int s = 0; s < subs; s++) {
        total += got[s];
        if (min < 0 || got[s] < min) min = got[s];
      }
      printf("result %lld %lld %lld\n", sent, total, min);
      fflush(stdout);
      stop_at = 0;
    }
    struct pollfd pf[2] = {{sink, POLLIN, 0}, {0, POLLIN, 0}};
    int wait_ms = (int)((next - now) / 1000000) + 1;
    if (poll(pf, 2, wait_ms) < 0 && errno != EINTR) die("poll");
    if (pf[0].revents & POLLIN) {
      int n;
      while ((n = recvmmsg(sink, rxm, 256, MSG_DONTWAIT, NULL)) > 0) {
        for (int i = 0; i < n; i++) {
          if (rxm[i].msg_len < HDR) continue;
          uint32_t t = ntohl(*(uint32_t *)(rx[i] + 4)), s = ntohl(*(uint32_t *)(rx[i] + 8)) >> 8;
          if (s < (uint32_t)subs && t >= w0 && t < w1) got[s]++;
        }
      }
    }
    if (pf[1].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(0, line + have, sizeof line - 1 - have);
      if (r <= 0) return 0; /* stdin closed: the harness is done */
      have += (size_t)r;
      line[have] = 0;
      char *nl;
      while ((nl = strchr(line, '\n'))) {
        *nl = 0;
        if (!strcmp(line, "start")) {
          w0 = tick, w1 = UINT32_MAX, sent = 0;
          memset(got, 0, subs * sizeof *got);
        } else if (!strcmp(line, "stop")) {
          w1 = tick;
          stop_at = now_ns() + 500000000LL; /* drain */
        }
        size_t used = (size_t)(nl - line) + 1;
        memmove(line, nl + 1, have - used + 1);
        have -= used;
      }
    }
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 4 && !strcmp(argv[1], "fwd")) fwd(atoi(argv[2]), atoi(argv[3]));
  if (argc == 4 && !strcmp(argv[1], "load")) return load(atoi(argv[2]), atoi(argv[3]));
  fprintf(stderr, "usage: floor fwd <sink port> <subscribers> | floor load <publishers> <subscribers>\n");
  return 2;
}
