import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, integrate, provisionInstance } from '../support/consent.js';
import { Documented } from '../support/documented.js';
import { registerApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';

// Every operation of the OpenAPI document, held to its documented answers for the requests a careless or hostile
// client sends: no credentials, an over-long path parameter, a malformed body, no body at all. The valid requests
// are the Postman collection's: postman.test.ts holds each of its answers to the same document.

describe('every operation answers only what it documents', () => {
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } },
  );
  const credentials: Record<string, Record<string, string>> = { none: {}, adminToken: ADMIN };
  let doc: any;

  beforeAll(async () => {
    const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: 'http://127.0.0.1:9/events' });
    const { instanceKey } = await provisionInstance(ctx.platform);
    const { apikey } = await integrate(ctx.platform, app, instanceKey);
    credentials.apiKey = { 'x-api-key': apikey };
    credentials.instanceKey = { 'x-instance-key': instanceKey };
    doc = (await ctx.platform.api('GET', '/openapi.json')).body;
  });

  it('with no credentials, an over-long parameter, a malformed body and no body', async () => {
    const documented = new Documented(doc);
    const problems: string[] = [];
    let answers = 0;
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const params = (op.parameters ?? []).filter((p: any) => p.in === 'path');
        const url = (long = false) =>
          path.replace(/\{(\w+)\}/g, (_m, name: string) =>
            long ? 'x'.repeat(150) : String(params.find((p: any) => p.name === name)?.example),
          );
        const query = (op.parameters ?? [])
          .filter((p: any) => p.in === 'query' && p.required)
          .map((p: any) => `${p.name}=${encodeURIComponent(String(p.example))}`)
          .join('&');
        const auth = op.security.length ? credentials[Object.keys(op.security[0])[0]!]! : {};
        const cases: Array<{ what: string; url: string; headers: Record<string, string>; body?: string }> = [];
        if (op.security.length) cases.push({ what: 'no credentials', url: url(), headers: {} });
        if (params.length) cases.push({ what: 'over-long parameter', url: url(true), headers: auth });
        if (op.requestBody) {
          cases.push({
            what: 'malformed body',
            url: url(),
            headers: { ...auth, 'content-type': 'application/json' },
            body: '{"not json',
          });
          cases.push({ what: 'no body', url: url(), headers: auth });
        }
        for (const c of cases) {
          const res = await fetch(`${ctx.platform.url}${c.url}${query ? `?${query}` : ''}`, {
            method: method.toUpperCase(),
            headers: c.headers,
            body: c.body,
          });
          answers++;
          const wrong = documented.check(op, res.status, res.headers.get('content-type'), await res.text(), (name) =>
            res.headers.get(name),
          );
          if (wrong) problems.push(`${wrong} (${c.what})`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(answers).toBeGreaterThan(60);
  }, 120_000);
});
