import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { App } from '../../infra/http/fastify.js';
import { applicationRoutes } from './console/applications.js';
import { eventRoutes } from './console/events.js';
import { fileRoutes } from './console/files.js';
import { integrationRoutes } from './console/integrations.js';
import { consoleKit } from './console/shared.js';
import { signInRoutes } from './console/sign-in.js';
import { tokenRoutes } from './console/tokens.js';
import { uploadRoutes } from './console/uploads.js';

/**
 * The developer console and its sign-in (contract §11): server-rendered pages, forms with CSRF tokens. The sections
 * are plain functions, not plugins: every route stays in this one plugin, behind its cookie and form parsers.
 */
export async function consoleRoutes(app: App): Promise<void> {
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const c = consoleKit(app);
  signInRoutes(app, c);
  applicationRoutes(app, c);
  integrationRoutes(app, c);
  eventRoutes(app, c);
  uploadRoutes(app, c);
  fileRoutes(app, c);
  tokenRoutes(app, c);
}
