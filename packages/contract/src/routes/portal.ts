import { Type } from 'typebox';
import { defineRoute, stream } from './define.js';

/** The developer portal's pages (contract §11). */
export const portalRoutes = {
  getHomePage: defineRoute({
    operationId: 'getHomePage',
    method: 'GET',
    path: '/',
    tag: 'portal',
    auth: 'none',
    summary: 'The home page: what the platform is and the getting-started guide (HTML)',
    responses: { 200: stream('text/html', Type.String(), 'The page') },
  }),
} as const;
