// `schema: { hide: true }` marks a route that is not an operation of the route table (pages and assets): it is left
// out of registeredRoutes, which tests hold to the table.
declare module 'fastify' {
  interface FastifySchema {
    hide?: boolean;
  }
}
export {};
