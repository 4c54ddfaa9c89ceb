import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorPage, wantsPage } from './pages/index.js';
import { ProblemError, ajvErrorItem, invalidRequest, sendProblem } from './problem.js';

/**
 * Every error and every unknown route leaves as one problem document (contract §1); no 5xx for bad input. A person
 * in a browser (outside /api) gets the same error as a page.
 */
export function installErrorHandling(app: FastifyInstance): void {
  const send = (request: FastifyRequest, reply: FastifyReply, problem: ProblemError) => {
    if (!wantsPage(request)) return sendProblem(reply, problem);
    return reply.code(problem.status).headers(problem.headers).type('text/html; charset=utf-8').send(errorPage(problem.status, problem.toProblem().title, problem.detail));
  };
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const detail = wantsPage(request) ? `There is no page at ${path}.` : `No route ${request.method} ${path}`;
    send(request, reply, new ProblemError(404, 'not-found', detail));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    send(request, reply, problem);
  });
}

function toProblem(error: FastifyError): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    return invalidRequest(
      `The request ${part === 'querystring' ? 'query string' : part} does not match the schema`,
      error.validation.map((e) => ajvErrorItem(e as ErrorObject)),
    );
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProblemError(415, 'unsupported-media-type', 'Send the body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemError(413, 'payload-too-large', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidRequest(error.message);
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && !error.code?.startsWith('FST_ERR_'))) {
    return invalidRequest(`The request body is not valid JSON: ${error.message}`);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ProblemError(error.statusCode, 'invalid-request', error.message);
  }
  return new ProblemError(500, 'internal-error', 'The platform failed to handle the request; it has been logged');
}
