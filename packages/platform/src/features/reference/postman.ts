import type { Credential } from '@connected-cloud/contract';
import { guide, guideVariables, type GuideFolder, type GuideStep } from './guide.js';

type Json = Record<string, any>;

/** Path parameters filled from collection variables; the others take the document's example. */
const pathVariables: Record<string, string> = {
  developerId: 'developerId',
  applicationId: 'applicationId',
  passcodeId: 'passcodeId',
  consentId: 'consentId',
  integrationId: 'integrationId',
  eventId: 'eventId',
  instanceId: 'instanceId',
  token: 'registrationToken',
};
/** Body members filled from collection variables. */
const bodyVariables: Record<string, string> = { secret: 'secret', passcode: 'passcode', initialApikey: 'apiKey' };

function auth(kind: Credential): Json {
  const apiKeyAuth = (header: string, variable: string) => ({
    type: 'apikey',
    apikey: [
      { key: 'key', value: header, type: 'string' },
      { key: 'value', value: `{{${variable}}}`, type: 'string' },
      { key: 'in', value: 'header', type: 'string' },
    ],
  });
  switch (kind) {
    case 'apiKey':
      return apiKeyAuth('X-Api-Key', 'apiKey');
    case 'instanceKey':
      return apiKeyAuth('X-Instance-Key', 'instanceKey');
    case 'adminToken':
      return { type: 'bearer', bearer: [{ key: 'token', value: '{{adminToken}}', type: 'string' }] };
    case 'developerToken':
      return { type: 'bearer', bearer: [{ key: 'token', value: '{{developerToken}}', type: 'string' }] };
    default:
      return { type: 'noauth' };
  }
}

/**
 * The Postman collection (v2.1) of the guide: folders in its order with their auth set once, every request built
 * from its OpenAPI operation (path, realistic example body) and a test script that asserts its status and stores
 * what it returns into the collection's variables. Generated, so it cannot drift from the routes.
 */
export function postmanCollection(openapi: Json, folders: GuideFolder[] = guide): Json {
  const operations = new Map<string, { path: string; method: string; op: Json }>();
  for (const [path, ops] of Object.entries<Json>(openapi.paths)) {
    for (const [method, op] of Object.entries<Json>(ops))
      operations.set(op.operationId, { path, method: method.toUpperCase(), op });
  }
  return {
    info: {
      name: openapi.info.title,
      description:
        'The guide’s path through the Connected Cloud API, runnable as it is. Set `baseUrl`, then follow the folders ' +
        'in order. Registration needs a browser (the captcha): open the registrationUrl, complete it, and set ' +
        '`developerId` and `applicationId` from the e-mail. The instance’s steps need `instanceKey`, the operator’s ' +
        '`adminToken`. Each request asserts its status and stores the IDs it returns.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    variable: Object.entries(guideVariables).map(([key, description]) => ({
      key,
      value: '',
      type: 'string',
      description,
    })),
    auth: { type: 'noauth' },
    item: folders.map((folder) => ({
      name: folder.name,
      description: folder.description,
      auth: auth(folder.auth),
      item: folder.steps.map((step) => {
        const found = operations.get(step.op);
        if (!found) throw new Error(`The guide names ${step.op}, which the OpenAPI document does not have`);
        return requestItem(step, found, folder.auth);
      }),
    })),
  };
}

function requestItem(
  step: GuideStep,
  { path, method, op }: { path: string; method: string; op: Json },
  folderAuth: Credential,
): Json {
  const params: Json[] = op.parameters ?? [];
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((segment) =>
      segment.replace(/\{(\w+)\}/g, (_m, name: string) => {
        if (name === 'fileId') return path.includes('/uploads/') ? '{{uploadId}}' : '{{fileId}}';
        const variable = pathVariables[name];
        return variable ? `{{${variable}}}` : String(params.find((p) => p.name === name)?.example ?? name);
      }),
    );
  const query = Object.entries(step.query ?? {}).map(([key, value]) => ({ key, value }));
  const raw = `{{baseUrl}}/${segments.join('/')}${query.length ? `?${query.map((q) => `${q.key}=${q.value}`).join('&')}` : ''}`;
  const json = op.requestBody?.content?.['application/json'];
  const body = json?.example !== undefined ? JSON.stringify(withVariables(json.example), null, 2) : undefined;
  return {
    name: step.name,
    ...(step.description || op.summary ? { description: step.description ?? op.summary } : {}),
    request: {
      method,
      ...(step.auth && step.auth !== folderAuth ? { auth: auth(step.auth) } : {}),
      header: body !== undefined ? [{ key: 'Content-Type', value: 'application/json' }] : [],
      url: { raw, host: ['{{baseUrl}}'], path: segments, ...(query.length ? { query } : {}) },
      ...(body !== undefined ? { body: { mode: 'raw', raw: body, options: { raw: { language: 'json' } } } } : {}),
    },
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: testScript(step).split('\n') } }],
  };
}

function withVariables(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withVariables);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        bodyVariables[k] && typeof v === 'string' ? `{{${bodyVariables[k]}}}` : withVariables(v),
      ]),
    );
  }
  return value;
}

/** Asserts the status, stores what the answer carries, and asks again (once a second) while `until` does not hold. */
function testScript(step: GuideStep): string {
  const lines = [
    '(function () {',
    '  const status = pm.response.code;',
    '  let json;',
    '  try { json = pm.response.json(); } catch (e) { json = undefined; }',
  ];
  if (step.until) {
    lines.push(
      `  const ready = (function () { try { return Boolean(${step.until}); } catch (e) { return false; } })();`,
      "  const tries = Number(pm.collectionVariables.get('retries') || 0);",
      '  if (!ready && tries < 30) {',
      "    pm.collectionVariables.set('retries', String(tries + 1));",
      `    pm.execution.setNextRequest(${JSON.stringify(step.name)});`,
      '    setTimeout(function () {}, 1000);',
      '    return;',
      '  }',
      "  pm.collectionVariables.unset('retries');",
    );
  }
  lines.push(
    `  pm.test(${JSON.stringify(`${step.name}: ${step.status}`)}, function () {`,
    `    pm.expect(status, json && json.detail ? json.code + ': ' + json.detail : 'status').to.equal(${step.status});`,
    '  });',
  );
  for (const [variable, expression] of Object.entries(step.store ?? {})) {
    lines.push(
      `  if (status === ${step.status}) pm.collectionVariables.set(${JSON.stringify(variable)}, ${expression});`,
    );
  }
  lines.push('})();');
  return lines.join('\n');
}
