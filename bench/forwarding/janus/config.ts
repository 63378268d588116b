/**
 * Janus's configuration for the forwarding benchmark, written into a directory of the bench's
 * own (never /etc/janus): loopback HTTP API only, no STUN/TURN, no admin API, and exactly one
 * plugin (videoroom) and one transport (HTTP). Janus loads every `.so` of its plugin and transport
 * folders, so those folders are ours too and hold a symlink to the one library each it may load;
 * the event handler and logger folders are empty.
 *
 * Janus skips loopback interfaces when it gathers ICE candidates unless nothing else is up, which
 * is why it runs in a network namespace whose only address is 127.0.0.1 (janus-path.ts).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's `janus` package's binary. */
export const JANUS_BIN = '/usr/bin/janus';

/** Where Debian's `janus` package installs its plugins and transports. */
export const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';

export interface JanusConfig {
  /** The directory passed as `--configs-folder` (holds janus.jcfg). */
  dir: string;
  /** The HTTP API's base URL. */
  url: string;
}

/** Writes the config into `dir` (created) for an HTTP API on 127.0.0.1:`port`. */
export function writeJanusConfig(dir: string, port: number, lib = JANUS_LIB): JanusConfig {
  for (const sub of ['plugins', 'transports', 'events', 'loggers']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  symlinkSync(
    join(lib, 'plugins/libjanus_videoroom.so'),
    join(dir, 'plugins/libjanus_videoroom.so'),
  );
  symlinkSync(join(lib, 'transports/libjanus_http.so'), join(dir, 'transports/libjanus_http.so'));
  writeFileSync(join(dir, 'janus.jcfg'), janusJcfg(dir));
  writeFileSync(join(dir, 'janus.transport.http.jcfg'), httpJcfg(port));
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
  return { dir, url: `http://127.0.0.1:${port}/janus` };
}

/** janus.jcfg: our folders, log to stdout at warnings, no STUN, no event handlers; pure. */
export function janusJcfg(dir: string): string {
  return `general: {
	configs_folder = "${dir}"
	plugins_folder = "${dir}/plugins"
	transports_folder = "${dir}/transports"
	events_folder = "${dir}/events"
	loggers_folder = "${dir}/loggers"
	log_to_stdout = true
	debug_level = 3
	protected_folders = ["/bin", "/boot", "/dev", "/etc", "/initrd", "/lib", "/lib32", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var"]
}
certificates: {
}
media: {
	rtp_port_range = "20000-40000"
}
nat: {
	nice_debug = false
	ignore_mdns = true
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
	broadcast = false
}
`;
}

/** The HTTP transport: plain HTTP on 127.0.0.1 only, no admin API; pure. */
export function httpJcfg(port: number): string {
  return `general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = ${port}
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
cors: {
}
`;
}
