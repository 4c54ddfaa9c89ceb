import { Type } from 'typebox';
import { SchemaParams, SolutionParams, SolutionSummary } from '../solutions/index.js';
import { defineRoute, json } from './define.js';

/** Published solutions and their schemas (contract §8). */
export const solutionRoutes = {
  listSolutions: defineRoute({
    operationId: 'listSolutions',
    method: 'GET',
    path: '/api/solutions',
    tag: 'solutions',
    auth: 'none',
    summary: 'List the published solutions',
    responses: { 200: json(Type.Array(SolutionSummary), 'The solutions, with the URLs of their schemas') },
  }),
  getSolution: defineRoute({
    operationId: 'getSolution',
    method: 'GET',
    path: '/api/solutions/{domain}',
    tag: 'solutions',
    auth: 'none',
    summary: 'One solution: its scopes and upload types',
    params: SolutionParams,
    responses: { 200: json(SolutionSummary, 'The solution') },
    problems: { 404: ['solution-not-found'] },
  }),
  getSchema: defineRoute({
    operationId: 'getSchema',
    method: 'GET',
    path: '/api/solutions/{domain}/schemas/{name}.json',
    tag: 'solutions',
    auth: 'none',
    summary: 'The JSON Schema (draft 2020-12) of a scope, an upload type or an upload result',
    params: SchemaParams,
    responses: {
      200: json(
        Type.Object({}, { additionalProperties: true, description: 'a JSON Schema document' }),
        'The JSON Schema',
        'application/schema+json',
      ),
    },
    problems: { 404: ['solution-not-found', 'schema-not-found'] },
  }),
} as const;
