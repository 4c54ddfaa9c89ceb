import type { ErrorObject } from 'ajv';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorPage, wantsPage } from './pages/index.js';
import { ProblemError, ajvErrorItem, invalidRequest, sendProblem, type ProblemItem } from './problem.js';

/**
 * Every error and every unknown route leaves as one problem document (contract §1); no 5xx for bad input. A person
 * in a browser (outside /api) gets the same error as a page.
 */
export function installErrorHandling(app: FastifyInstance): void {
  const send = (request: FastifyRequest, reply: FastifyReply, problem: ProblemError) => {
    if (!wantsPage(request)) return sendProblem(reply, problem);
    return reply
      .code(problem.status)
      .headers(problem.headers)
      .type('text/html; charset=utf-8')
      .send(errorPage(problem.status, problem.toProblem().title, problem.detail));
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

/** Path parameters longer than this are refused before routing (400, without echoing the URL). */
export const MAX_PARAM_LENGTH = 100;

/**
 * Errors Fastify raises before a route is chosen (a bad URL, an over-long parameter): the same problem documents,
 * logged and counted like every answer.
 */
export function frameworkErrors(count: (method: string, status: number, seconds: number) => void) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    request.log.info({ code: error.code }, 'refused before routing');
    const problem = toProblem(error);
    reply.header('x-request-id', request.id); // no onRequest hook ran
    sendProblem(reply, problem);
    count(request.method, problem.status, reply.elapsedTime / 1000); // no route, so no onResponse hook either
  };
}

/**
 * Requests Node's HTTP parser refuses (a malformed Content-Length, a bad header) never reach Fastify: they are
 * answered here as a problem document on the socket, logged and counted.
 */
export function clientErrorHandler(log: FastifyBaseLogger, count: (status: number) => void) {
  return (error: { code?: string }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timeout ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify(
      new ProblemError(
        status,
        'invalid-request',
        timeout
          ? 'The request took too long to arrive'
          : `The request is not valid HTTP (${error.code ?? 'parse error'})`,
      ).toProblem(),
    );
    log.info({ code: error.code }, 'refused malformed HTTP');
    count(status);
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/**
 * Ajv's errors as one item per member: the "must be equal to constant" of each branch of a union of literals
 * becomes one message naming the allowed values, as an enum's does.
 */
export function validationItems(errors: ErrorObject[]): ProblemItem[] {
  const allowed = new Map<string, unknown[]>();
  for (const e of errors) {
    const values =
      e.keyword === 'const'
        ? [(e.params as { allowedValue: unknown }).allowedValue]
        : e.keyword === 'enum'
          ? (e.params as { allowedValues: unknown[] }).allowedValues
          : [];
    if (values.length) allowed.set(e.instancePath, [...(allowed.get(e.instancePath) ?? []), ...values]);
  }
  const items: ProblemItem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const values = allowed.get(e.instancePath);
    if (values && (e.keyword === 'const' || e.keyword === 'enum' || e.keyword === 'anyOf')) {
      if (seen.has(e.instancePath)) continue;
      seen.add(e.instancePath);
      items.push({
        pointer: e.instancePath || '/',
        message: `must be one of: ${values.map((v) => JSON.stringify(v)).join(', ')}`,
      });
      continue;
    }
    items.push(ajvErrorItem(e));
  }
  return items;
}

function toProblem(error: FastifyError): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    return invalidRequest(
      `The request ${part === 'querystring' ? 'query string' : part} does not match the schema`,
      validationItems(error.validation as ErrorObject[]),
    );
  }
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return invalidRequest('The URL is not valid: check its percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return invalidRequest(`A path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
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
