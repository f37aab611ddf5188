import { createHmac, randomBytes } from 'node:crypto';
import { signatureSchemes } from '../lib/signatures';
const key = randomBytes(32);
const secret = `whsec_${key.toString('base64')}`;
const body = Buffer.alloc(1024, 'a');
const NOW = 1767225600;
const sig = createHmac('sha256', key).update(`msg_1.${NOW}.`).update(body).digest('base64');
const req = { rawBody: body, headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW), 'webhook-signature': `v1,${sig}` }, method: 'POST', url: 'x' };
const opts = { secrets: [secret], toleranceSeconds: 300, nowSeconds: NOW };
const t = process.hrtime.bigint(); let n = 0;
while (process.hrtime.bigint() - t < 3_000_000_000n) { for (let i = 0; i < 100; i++) signatureSchemes.standardWebhooks.verify(req, opts); n += 100; }
console.log(n / 3);
