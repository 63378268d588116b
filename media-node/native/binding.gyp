# SRTP addon: one reused OpenSSL cipher context per session and direction.
# Node-API only (NAPI_VERSION 8), so headers of any Node >= 16 build it and the
# binary loads on any later Node. OpenSSL is not linked: its symbols resolve from
# the node binary at load time (Node exports its bundled OpenSSL for addons).
{
  "targets": [
    {
      "target_name": "srtp",
      "sources": ["src/srtp-addon.cc"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_SUPPRESS_DEPRECATED"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"]
    }
  ]
}
