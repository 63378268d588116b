/*
 * LD_PRELOAD shim that lets Debian's simple-whip-client (whip-client) run on loopback, for the
 * WHIP test only. Two problems of the package as shipped on Debian 12 (PLATFORM-NOTES):
 *
 * 1. whip-client links libsoup 2 while libnice's UPnP library (libgupnp-igd) pulls in libsoup 3:
 *    the process aborts ("libsoup2 symbols detected"). This library carries the SONAME
 *    libgupnp-igd-1.0.so.4, so once preloaded the dynamic linker takes it for libnice's
 *    dependency and the real one (and libsoup 3) is never loaded. libnice only creates a UPnP
 *    agent when one exists: `gupnp_simple_igd_thread_new` returns NULL, so UPnP is off.
 * 2. libnice gathers no loopback candidates (it skips interfaces flagged IFF_LOOPBACK). The
 *    `getifaddrs` here reports only 127.0.0.1, without that flag, so the one host candidate is
 *    on loopback and no packet leaves the machine.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* libgupnp-igd's entry points that libnice imports: none of them does anything. */
unsigned long gupnp_simple_igd_get_type(void) { return 80; /* G_TYPE_OBJECT */ }
void *gupnp_simple_igd_thread_new(void) { return NULL; }
void gupnp_simple_igd_add_port(void) {}
void gupnp_simple_igd_remove_port_local(void) {}

struct loopback {
  struct ifaddrs ifa;
  struct sockaddr_in addr;
  struct sockaddr_in mask;
  char name[4];
};

int getifaddrs(struct ifaddrs **out) {
  struct loopback *lo = calloc(1, sizeof *lo);
  if (lo == NULL) return -1;
  strcpy(lo->name, "lo");
  lo->addr.sin_family = AF_INET;
  lo->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  lo->mask.sin_family = AF_INET;
  lo->mask.sin_addr.s_addr = htonl(0xff000000);
  lo->ifa.ifa_name = lo->name;
  lo->ifa.ifa_flags = IFF_UP | IFF_RUNNING;
  lo->ifa.ifa_addr = (struct sockaddr *)&lo->addr;
  lo->ifa.ifa_netmask = (struct sockaddr *)&lo->mask;
  *out = &lo->ifa;
  return 0;
}

void freeifaddrs(struct ifaddrs *ifa) { free(ifa); }
