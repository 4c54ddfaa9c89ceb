import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { installSchemaCompilers } from '../../src/infra/http/schema-compilers.js';

// Two response schemas, each a constant as the route table's are; a union takes fast-json-stringify's Ajv path.
const item = {
  type: 'object',
  properties: { id: { type: 'string' }, size: { type: 'integer' } },
  required: ['id'],
} as const;
const either = {
  type: 'object',
  properties: {
    value: { anyOf: [{ type: 'object', properties: { n: { type: 'number' } } }, { type: 'string' }] },
  },
} as const;
const sent = { id: 'f1', size: 12, secret: 'not in the schema', value: { n: 1, extra: true } };

async function app(withCompilers: boolean) {
  const fastify = Fastify();
  if (withCompilers) installSchemaCompilers(fastify);
  fastify.get('/item', { schema: { response: { 200: item } } }, () => sent);
  fastify.get('/either', { schema: { response: { 200: either } } }, () => sent);
  fastify.get('/text', { schema: { response: { 200: either } } }, () => ({ value: 'plain' }));
  await fastify.ready();
  return fastify;
}

it('serializes every route as Fastify’s default compiler does, in each of several apps sharing the serializers', async () => {
  const reference = await app(false);
  const apps = [await app(true), await app(true), await app(true)];
  for (const url of ['/item', '/either', '/text']) {
    const expected = (await reference.inject({ url })).body;
    for (const each of apps) expect((await each.inject({ url })).body, url).toBe(expected);
  }
  // The schema, not the route, picks the serializer: each route keeps its own fields.
  expect(JSON.parse((await apps[2]!.inject({ url: '/item' })).body)).toEqual({ id: 'f1', size: 12 });
  expect(JSON.parse((await apps[1]!.inject({ url: '/either' })).body)).toEqual({ value: { n: 1 } });
  await Promise.all([reference, ...apps].map((a) => a.close()));
});
