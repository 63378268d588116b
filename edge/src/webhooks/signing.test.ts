import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { secretKeyBytes } from './settings.ts';
import { importSigningKey, signWebhook, webhookHeaders } from './signing.ts';

// The Standard Webhooks reference vector (standard-webhooks spec repository, libraries' tests).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

async function keyOf(secret: string) {
  const bytes = secretKeyBytes(secret);
  if (!bytes) throw new Error('not a whsec_ secret');
  return importSigningKey(bytes);
}

describe('Standard Webhooks signing', () => {
  it('matches the specification test vector', async () => {
    const key = await keyOf(VECTOR.secret);
    expect(await signWebhook(key, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies with the standardwebhooks library; a changed body or id does not', async () => {
    const secret = `whsec_${btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i)))}`;
    const key = await keyOf(secret);
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'room.started', timestamp: 'x', data: { room: 'r' } });
    const headers = await webhookHeaders(key, 'msg_1', now, body);
    const wh = new Webhook(secret);
    expect(wh.verify(body, headers)).toMatchObject({ type: 'room.started' });
    expect(() => wh.verify(`${body} `, headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
  });
});
