/**
 * Debian's Firefox ESR for the interop tests, driven headless over WebDriver BiDi by
 * puppeteer-core (never a downloaded browser), in a temporary profile removed on close. The
 * prefs give fake media without prompts, loopback ICE candidates, and keep Firefox from
 * contacting anything outside this machine (verified with strace: without them it sent DNS
 * queries for firefox.settings.services.mozilla.com; with them every connect() and send went to
 * 127.0.0.1, except ICE's default-route lookup, a UDP connect() to 8.8.8.8 that sends nothing).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const FIREFOX = '/usr/bin/firefox-esr';

/** Fake camera and microphone (the microphone is a 1 kHz sine), granted without a prompt. */
const MEDIA_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Without a granted camera/microphone permission Firefox gathers only the default route's
  // addresses (never loopback) whatever the ICE prefs say; a live fake capture does not count.
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.tcp': false,
  'media.autoplay.default': 0,
  'media.autoplay.block-webaudio': false,
};

/** Nothing leaves the machine: updates, telemetry, safe browsing, portals, remote settings. */
const OFFLINE_PREFS = {
  'app.update.auto': false,
  'app.update.disabledForTesting': true,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  // Honoured only with MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 in release builds (see launch).
  'services.settings.server': 'data:,#remote-settings-dummy/v1',
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.shutdownPingSender.enabled': false,
  'toolkit.telemetry.newProfilePing.enabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'network.captive-portal-service.enabled': false,
  'captivedetect.canonicalURL': '',
  'network.connectivity-service.enabled': false,
  // Every host name resolves to 127.0.0.1 without asking the system resolver; no DoH.
  'network.dns.native-is-localhost': true,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.predictor.enabled': false,
  'network.http.speculative-parallel-limit': 0,
  'dom.push.connection.enabled': false,
  'browser.region.update.enabled': false,
  'browser.region.network.url': '',
  'geo.provider.network.url': '',
  'extensions.update.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'extensions.blocklist.enabled': false,
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-manager.url': '',
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'browser.translations.enable': false,
  'browser.ml.enable': false,
  'identity.fxaccounts.enabled': false,
};

export interface FirefoxHandle {
  browser: Browser;
  /** Firefox's version as BiDi reports it, e.g. `firefox/153.8.0`. */
  version: string;
  /** Closes the browser, kills its process group if it lingers, removes the profile. */
  close(): Promise<void>;
}

/** Starts headless Firefox ESR; fails naming the Debian package when it is not installed. */
export async function launchFirefox(): Promise<FirefoxHandle> {
  if (!existsSync(FIREFOX)) {
    throw new Error(`${FIREFOX} is missing: install Debian's firefox-esr (.ci/run does)`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'e2e-firefox-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: { ...MEDIA_PREFS, ...OFFLINE_PREFS },
      // The test harness switch: necko refuses non-local connections, and remote settings
      // accept the dummy server above.
      env: { ...process.env, MOZ_DISABLE_NONLOCAL_CONNECTIONS: '1' },
      // Start-up takes 6 s on an idle machine and up to 40 s on the loaded shared one.
      timeout: 90_000,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const pid = browser.process()?.pid;
  const version = await browser.version();
  let closed = false;
  return {
    browser,
    version,
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.race([
        browser.close().catch(() => {}),
        new Promise((r) => setTimeout(r, 5_000)),
      ]);
      // puppeteer starts Firefox detached, as the leader of its own process group: the
      // group is Firefox and its content processes, all started here.
      if (pid !== undefined) killGroup(pid);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
