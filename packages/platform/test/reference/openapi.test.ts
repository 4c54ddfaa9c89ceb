import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ProblemCodes, builtInSolutions, problemsOf, routeList } from '@connected-cloud/contract';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/features/reference/openapi.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const doc = openApiDocument({
  publicUrl: 'http://127.0.0.1:8080',
  routes: routeList,
  solutions: builtInSolutions,
}) as any;
const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, op })),
);

describe('the OpenAPI document generated from the route table', () => {
  it('passes `redocly lint` with the committed config, with no warning', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cc-openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const bin = path.join(root, 'node_modules/.bin/redocly');
    const { stdout, stderr } = await promisify(execFile)(
      bin,
      ['lint', '--config', path.join(root, 'redocly.yaml'), '--format=summary', file],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const out = stdout + stderr;
    expect(out).toContain('Your API description is valid');
    expect(out).not.toMatch(/^warning |You have \d+ warning/m); // (not Redocly's notice that Node 20 support ends)
  }, 120_000);

  it('names every operation, states its credential, and documents every problem it can send with an example', () => {
    for (const { key, op } of operations) {
      const route = routeList.find((r) => `${r.method} ${r.path}` === key)!;
      expect(op.operationId, key).toBe(route.operationId);
      expect(op.security, key).toEqual(route.auth === 'none' ? [] : [{ [route.auth]: [] }]);
      for (const [status, codes] of Object.entries(problemsOf(route))) {
        const content = op.responses[status]?.content?.['application/problem+json'];
        expect(content, `${key} ${status}`).toBeDefined();
        expect(Object.keys(content.examples).sort(), `${key} ${status}`).toEqual([...codes].sort());
      }
      for (const param of op.parameters ?? [])
        if (param.in === 'path') expect(param.example, `${key} ${param.name}`).toBeDefined();
    }
    for (const tag of doc.tags) expect(tag.description).toEqual(expect.any(String));
    // The over-long parameter refusal is documented wherever there is a path parameter.
    for (const { key, op } of operations) {
      if ((op.parameters ?? []).some((p: any) => p.in === 'path'))
        expect(op.responses['400']?.content?.['application/problem+json'], key).toBeDefined();
    }
  });

  it('documents the three streaming routes with a body: an array of the solution’s records, with notes on streaming', () => {
    for (const key of [
      'POST /api/uploads',
      'PUT /api/connector/solutions/{domain}/scopes/{scope}',
      'PUT /api/connector/uploads/{fileId}/result',
    ]) {
      const body = operations.find((o) => o.key === key)!.op.requestBody;
      expect(body.required, key).toBe(true);
      const json = body.content['application/json'];
      expect(json.schema.type, key).toBe('array');
      expect(json['x-streaming'], key).toEqual(expect.any(String));
      expect(json['x-limits'], key).toEqual(expect.any(String));
    }
  });

  it('documents the headers of the answers: request id, Retry-After, caching and ranges of downloads', () => {
    for (const { key, op } of operations) {
      for (const [status, response] of Object.entries<any>(op.responses)) {
        expect(response.headers['X-Request-Id'].required, `${key} ${status}`).toBe(true);
        if (status === '429') expect(response.headers['Retry-After'].required, key).toBe(true);
      }
    }
    const download = doc.paths['/api/files/{fileId}/content'].get.responses;
    expect(Object.keys(download['200'].headers)).toEqual(
      expect.arrayContaining(['ETag', 'Accept-Ranges', 'X-Api-Key-Expires']),
    );
    expect(download['206'].headers['Content-Range'].required).toBe(true);
    expect(download['302'].headers.Location.required).toBe(true);
    expect(download['416'].headers['Content-Range'].required).toBe(true);
  });

  it('is explained by the project’s own guide, which names every problem code', () => {
    const guide = fs.readFileSync(path.join(root, 'docs/api-guide.md'), 'utf8');
    for (const code of Object.keys(ProblemCodes)) expect(guide, code).toMatch(new RegExp(`\\| \`${code}\` +\\|`));
    expect(doc.info.description).toContain('docs/api-guide.md');
  });

  it('gives examples that match their own schemas: parameters, bodies and answers', () => {
    const ajv = new Ajv.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    let checked = 0;
    const check = (what: string, schema: object, example: unknown) => {
      if (example === undefined) return;
      const validate = ajv.compile({ ...schema, $id: undefined });
      expect(validate(example) ? [] : validate.errors, what).toEqual([]);
      checked++;
    };
    for (const { key, op } of operations) {
      for (const p of op.parameters ?? []) check(`${key} ${p.name}`, p.schema, p.example);
      for (const [type, c] of Object.entries<any>(op.requestBody?.content ?? {}))
        check(`${key} body ${type}`, c.schema, c.example);
      for (const [status, r] of Object.entries<any>(op.responses)) {
        const json = r.content?.['application/json'];
        if (json) check(`${key} ${status}`, json.schema, json.example);
      }
    }
    expect(checked).toBeGreaterThan(60);
  });
});
