import { routes } from '@connected-cloud/contract';
import type { App } from '../../app.js';
import { notFound } from '../../infra/http/problem.js';
import { handle } from '../../infra/http/routes.js';

/** Published solutions and their schemas (contract §8). */
export async function solutionRoutes(app: App): Promise<void> {
  const { solutions } = app.platform;

  handle(app, routes.listSolutions, async () => solutions.list());
  handle(app, routes.getSolution, async (request) => {
    const solution = solutions.get(request.params.domain);
    if (!solution) throw notFound('solution-not-found', `No solution "${request.params.domain}"`);
    return solution;
  });
  handle(app, routes.getSchema, async (request, reply) => {
    const { domain, name } = request.params;
    if (!solutions.has(domain)) throw notFound('solution-not-found', `No solution "${domain}"`);
    const schema = solutions.schema(domain, name);
    if (!schema) throw notFound('schema-not-found', `Solution "${domain}" has no schema "${name}"`);
    return reply.type('application/schema+json').send(schema);
  });
}
