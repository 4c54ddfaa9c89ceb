import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  receivedAt: number;
  path: string;
  /** The status this receiver answered. */
  status: number;
}

export type Behaviour = (req: {
  id: string;
  attempt: number;
  path: string;
  body: string;
}) => { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

/** A real webhook receiver on loopback: records every request, answers as `behaviour` says. */
export class Receiver {
  readonly requests: Delivery[] = [];
  behaviour: Behaviour = () => ({ status: 204 });
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      const attempt = this.requests.filter((r) => r.id === id).length + 1;
      const answer = this.behaviour({ id, attempt, path: req.url ?? '/', body });
      const delivery: Delivery = {
        id,
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body,
        receivedAt: Date.now(),
        path: req.url ?? '/',
        status: answer === 'hang' ? 0 : answer.status,
      };
      this.requests.push(delivery);
      for (const wake of this.#waiters) wake();
      if (answer === 'hang') return; // never answers: the sender's timeout must end it
      setTimeout(() => res.writeHead(answer.status, answer.headers).end(), answer.delayMs ?? 0);
    });
  });
  readonly #waiters = new Set<() => void>();
  port = 0;
  host = '127.0.0.1';

  /** On `host`: another loopback address (127.0.0.2…) stands for another machine. */
  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.host = host;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, resolve);
    });
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/hook'): string {
    return `http://${this.host}:${this.port}${path}`;
  }

  /** Requests answered 2xx: the deliveries. */
  get delivered(): Delivery[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  async waitFor(predicate: (r: Receiver) => boolean, timeoutMs = 15_000): Promise<void> {
    if (predicate(this)) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Verifies a delivery with the off-the-shelf Standard Webhooks verifier; returns the parsed body. */
export function verify(
  secret: string,
  d: Delivery,
): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(d.body, {
    'webhook-id': d.id,
    'webhook-timestamp': d.timestamp,
    'webhook-signature': d.signature,
  }) as { type: string; timestamp: string; data: Record<string, unknown> };
}
