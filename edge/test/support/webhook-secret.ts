/** The Standard Webhooks secret of the webhook Workers tests (`whsec_` + base64 of 32 bytes). */
export const TEST_WEBHOOK_SECRET = `whsec_${btoa('webhook-test-secret-32-bytes-long')}`;
