import { describe, expect, it } from 'vitest';
import { allowedNodeUrl, DEFAULT_NODE_URL_ALLOW, parseUrlPatterns } from './node-url.ts';

describe('NODE_URL_ALLOW', () => {
  const loopback = parseUrlPatterns(DEFAULT_NODE_URL_ALLOW);

  it('allows loopback nodes by default and nothing else', () => {
    expect(allowedNodeUrl('http://127.0.0.1:30006/', loopback)).toBe('http://127.0.0.1:30006');
    expect(allowedNodeUrl('http://[::1]:30007', loopback)).toBe('http://[::1]:30007');
    expect(allowedNodeUrl('http://127.0.0.1:8/n/a/', loopback)).toBe('http://127.0.0.1:8/n/a');
    for (const bad of [
      'http://169.254.169.254:80/',
      'http://evil.example:30006',
      'https://127.0.0.1:30006',
      'http://127.0.0.1.evil.example:30006',
      'http://user:pw@127.0.0.1:30006',
      'http://127.0.0.1:30006/?x=1',
      'not a url',
    ]) {
      expect(allowedNodeUrl(bad, loopback), bad).toBeUndefined();
    }
  });

  it('lets * stand for one label or a port, never a dot or a path', () => {
    const p = parseUrlPatterns('https://*.media.example.net, http://10.0.0.*:30006');
    expect(allowedNodeUrl('https://eu-1.media.example.net', p)).toBe(
      'https://eu-1.media.example.net',
    );
    expect(allowedNodeUrl('http://10.0.0.12:30006', p)).toBe('http://10.0.0.12:30006');
    expect(allowedNodeUrl('https://a.b.media.example.net', p)).toBeUndefined();
    expect(allowedNodeUrl('https://evil.net/.media.example.net', p)).toBeUndefined();
    expect(allowedNodeUrl('http://10.0.0.12:30007', p)).toBeUndefined();
    expect(() => parseUrlPatterns('https://x.net/path')).toThrow(/NODE_URL_ALLOW/);
  });
});
