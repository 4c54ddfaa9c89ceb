import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { routeList } from '@connected-cloud/contract';
import { describe, expect, it } from 'vitest';
import { browserOnly } from '../../src/features/reference/guide.js';
import { ADMIN, provisionInstance } from '../support/consent.js';
import { Documented } from '../support/documented.js';
import { registerApplication } from '../support/onboarding.js';
import { usePlatformWithMail } from '../support/platform.js';

const newman = createRequire(import.meta.url)('newman') as {
  run(
    options: object,
    done: (error: Error | null, summary: any) => void,
  ): { on(event: string, listener: (...args: any[]) => void): unknown };
};

describe('the Postman collection, run by newman', () => {
  const ctx = usePlatformWithMail(
    { kind: 'sqlite', databaseUrl: undefined },
    { env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true' } },
  );

  it('has folders in the guide’s order, declared variables, auth per folder and a request for every operation', async () => {
    const collection = (await ctx.platform.api('GET', '/postman.json')).body;
    expect(collection.item.map((f: { name: string }) => f.name.replace(/^\d+\. /, ''))).toEqual([
      'Onboarding',
      'Passcode and consent',
      'API key rotation',
      'Downloading data',
      'Uploading files',
      'Tracking',
      'Events',
      'The instance’s side',
      'Administration',
      'The developer API',
      'Operations',
    ]);
    const declared = collection.variable.map((v: { key: string }) => v.key);
    for (const name of [
      'baseUrl',
      'developerId',
      'applicationId',
      'secret',
      'passcodeId',
      'apiKey',
      'instanceKey',
      'adminToken',
      'fileId',
      'uploadId',
      'consentId',
      'integrationId',
      'eventId',
    ]) {
      expect(declared).toContain(name);
    }
    const text = JSON.stringify(collection);
    for (const used of new Set([...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!)))
      expect(declared, used).toContain(used);
    for (const r of collection.item.flatMap((f: { item: any[] }) => f.item)) {
      expect(`${r.request.url.raw} ${r.request.body?.raw ?? ''}`, r.name).not.toMatch(/"string"|\/string\b/);
    }
    for (const folder of collection.item) expect(folder.auth?.type, folder.name).toBeDefined();
    const requests = collection.item.flatMap((f: { item: any[] }) => f.item);
    const names = requests.map((r: { name: string }) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of requests) expect(r.event[0].script.exec.join('\n'), r.name).toContain('pm.test(');
    const ops = routeList.filter((r) => !r.hidden && !browserOnly.includes(r.operationId as never));
    const covered = new Set<string>(
      requests.map((r: any): string =>
        `${r.request.method} /${r.request.url.path.join('/')}`.replace(/\{\{\w+\}\}/g, '*'),
      ),
    );
    for (const op of ops) {
      const pattern = `${op.method} ${op.path}`.replace(/\{\w+\}(\.json)?/g, (m) =>
        m.endsWith('.json') ? '*.json' : '*',
      );
      const found = [...covered].some((c) =>
        new RegExp(`^${pattern.replace(/[.?]/g, '\\$&').replace(/\*/g, '[^/]+')}$`).test(c),
      );
      expect(found, op.operationId).toBe(true);
    }
  });

  it('runs from registration to a tracked upload with a result, with a second process playing the instance, every answer one the OpenAPI document describes', async () => {
    const app = await registerApplication(ctx.platform.url, ctx.mail, { notificationUrl: 'http://127.0.0.1:9/events' });
    const { instanceKey } = await provisionInstance(ctx.platform);
    const player = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../support/instance-player.ts', import.meta.url))],
      {
        env: { ...process.env, PLATFORM_URL: ctx.platform.url, INSTANCE_KEY: instanceKey },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let playerOutput = '';
    player.stdout.on('data', (d) => (playerOutput += d));
    player.stderr.on('data', (d) => (playerOutput += d));
    const playerExit = new Promise<number | null>((resolve) => player.on('exit', resolve));
    const collection = (await ctx.platform.api('GET', '/postman.json')).body;
    const documented = new Documented((await ctx.platform.api('GET', '/openapi.json')).body);
    const undocumented: string[] = [];
    const reached = new Set<string>();
    const env = {
      baseUrl: ctx.platform.url,
      developerId: app.developerId,
      applicationId: app.applicationId,
      secret: 'correct horse battery staple',
      instanceKey,
      adminToken: ADMIN.authorization.replace('Bearer ', ''),
      developerToken: (await ctx.platform.platform.portal.createToken(app.developerId, 'newman')).token,
    };
    try {
      const summary = await new Promise<any>((resolve, reject) => {
        newman
          .run(
            {
              collection,
              envVar: Object.entries(env).map(([key, value]) => ({ key, value })),
              reporters: process.env.NEWMAN_CLI ? ['cli'] : [],
              timeoutRequest: 60_000,
            },
            (error, s) => (error ? reject(error) : resolve(s)),
          )
          .on('request', (_error: unknown, args: any) => {
            if (args.response) {
              const path = `/${args.request.url.path.join('/')}`;
              const op = documented.operation(args.request.method, path);
              if (!op) undocumented.push(`${args.item.name}: ${args.request.method} ${path} is no operation`);
              else {
                reached.add(op.operationId);
                const body = args.response.stream?.toString() ?? '';
                const wrong = documented.check(
                  op,
                  args.response.code,
                  args.response.headers.get('content-type'),
                  body,
                  (name: string) => args.response.headers.get(name),
                );
                if (wrong) undocumented.push(`${args.item.name}: ${wrong}`);
              }
            }
            if (args.item.name === 'Create a passcode' && args.response?.code === 201) {
              player.stdin.write(`${JSON.parse(args.response.stream.toString()).passcode}\n`);
            }
          });
      });
      const { requests, assertions, testScripts } = summary.run.stats;
      console.log(
        `newman: ${requests.total} requests (${requests.failed} failed), ${assertions.total} assertions (${assertions.failed} failed), ` +
          `${testScripts.total} test scripts (${testScripts.failed} failed)`,
      );
      const failures = summary.run.failures.map((f: any) => `${f.source?.name}: ${f.error?.message}`);
      expect(failures, playerOutput).toEqual([]);
      expect(assertions.failed).toBe(0);
      expect(undocumented).toEqual([]);
      // Every operation a client calls (not the browser's registration pages) got a valid request.
      const clientOps = routeList.filter((r) => !r.hidden && !browserOnly.includes(r.operationId as never));
      expect(clientOps.map((r) => r.operationId).filter((id) => !reached.has(id))).toEqual([]);
      expect(assertions.total).toBeGreaterThanOrEqual(45);
      expect(await playerExit, playerOutput).toBe(0);
    } finally {
      player.kill();
      console.log(playerOutput);
    }
  }, 240_000);
});
