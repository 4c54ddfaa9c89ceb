// The accounting-product instance in the newman run, as a process of its own: it takes the passcode the
// application shows (one line on stdin), grants consent, delivers products, then processes one upload.
import readline from 'node:readline';

const base = process.env.PLATFORM_URL!;
const key = { 'x-instance-key': process.env.INSTANCE_KEY! };

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, {
    method,
    ...(body === undefined
      ? { headers: key }
      : { headers: { ...key, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  process.stdout.write(`instance: ${method} ${path} → ${res.status}\n`);
  return text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
}

const passcode = await new Promise<string>((resolve) =>
  readline.createInterface({ input: process.stdin }).once('line', resolve),
);
const { consentId } = await call('POST', '/api/connector/consents', { passcode });
await call('POST', `/api/connector/consents/${consentId}/grant`);
const now = new Date().toISOString();
await call('PUT', '/api/connector/solutions/ecommerce/scopes/products', [
  {
    id: 'P-1001',
    name: 'Garden spade',
    netPrice: 24.5,
    tax: 20,
    discountByUnit: true,
    stockQuantity: 38,
    timestamp: now,
  },
  { id: 'P-1002', name: 'Rake', netPrice: 12, tax: 20, discountByUnit: false, stockQuantity: 5, timestamp: now },
]);
let inbox: Array<{ fileId: string }> = [];
while (inbox.length === 0) inbox = await call('GET', '/api/connector/inbox?wait=30');
const { fileId } = inbox[0]!;
await call('POST', `/api/connector/uploads/${fileId}/claim`);
const orders = (await call('GET', `/api/connector/uploads/${fileId}/content`)) as Array<{ id: string }>;
await call('PATCH', `/api/connector/uploads/${fileId}`, { status: 'processing', progress: 50 });
await call(
  'PUT',
  `/api/connector/uploads/${fileId}/result?status=accepted`,
  orders.map((o, i) => ({
    id: o.id,
    outcome: 'accepted',
    documentNumber: `SO-${10452 + i}`,
    processedAt: new Date().toISOString(),
  })),
);
process.exit(0);
