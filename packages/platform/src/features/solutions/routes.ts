import { Problem, SchemaParams, SolutionParams, SolutionSummary } from '@connected-cloud/contract';
import { Type } from 'typebox';
import type { App } from '../../infra/http/fastify.js';
import { notFound } from '../../infra/http/problem.js';

export async function solutionRoutes(app: App): Promise<void> {
  const { solutions } = app.platform;

  app.get(
    '/api/solutions',
    { schema: { tags: ['solutions'], summary: 'List the published solutions', response: { 200: Type.Array(SolutionSummary) } } },
    async () => solutions.list(),
  );

  app.get(
    '/api/solutions/:domain',
    {
      schema: {
        tags: ['solutions'],
        summary: 'One solution: its scopes and upload types',
        params: SolutionParams,
        response: { 200: SolutionSummary, 404: Problem },
      },
    },
    async (request) => {
      const solution = solutions.get(request.params.domain);
      if (!solution) throw notFound('solution-not-found', `No solution "${request.params.domain}"`);
      return solution;
    },
  );

  app.get(
    '/api/solutions/:domain/schemas/:name.json',
    {
      schema: {
        tags: ['solutions'],
        summary: 'The JSON Schema (draft 2020-12) of a scope, an upload type or an upload result',
        params: SchemaParams,
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'a JSON Schema document' }), 404: Problem },
      },
    },
    async (request, reply) => {
      const { domain, name } = request.params;
      if (!solutions.has(domain)) throw notFound('solution-not-found', `No solution "${domain}"`);
      const schema = solutions.schema(domain, name);
      if (!schema) throw notFound('schema-not-found', `Solution "${domain}" has no schema "${name}"`);
      return reply.type('application/schema+json').send(schema);
    },
  );
}
