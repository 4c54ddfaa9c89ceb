import { ProblemCodes, type Problem, type ProblemCode } from '@connected-cloud/contract';
import type { ErrorObject } from 'ajv';
import type { FastifyReply } from 'fastify';

export type ProblemItem = { pointer: string; message: string };

/** Thrown anywhere in a route; the error handler turns it into the problem document. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: ProblemItem[],
    readonly headers: Record<string, string> = {},
    /** When more errors were found than are listed. */
    readonly errorCount = errors?.length,
  ) {
    super(detail);
  }

  toProblem(): Problem {
    return {
      type: `/problems/${this.code}`,
      title: ProblemCodes[this.code],
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.errors ? { errors: this.errors.slice(0, 100), errorCount: this.errorCount ?? this.errors.length } : {}),
    };
  }
}

export function sendProblem(reply: FastifyReply, problem: ProblemError): FastifyReply {
  return reply.code(problem.status).headers(problem.headers).type('application/problem+json').send(problem.toProblem());
}

export const notFound = (code: ProblemCode, detail: string) => new ProblemError(404, code, detail);
export const invalidRequest = (detail: string, errors?: ProblemItem[]) =>
  new ProblemError(400, 'invalid-request', detail, errors);

/** An Ajv error as a JSON Pointer to the offending member (under `prefix`), with a message a developer can act on. */
export function ajvErrorItem(e: ErrorObject, prefix = ''): ProblemItem {
  let pointer = prefix + e.instancePath;
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') pointer += `/${escapePointer(String(p.missingProperty))}`;
  if (e.keyword === 'additionalProperties') pointer += `/${escapePointer(String(p.additionalProperty))}`;
  const message =
    e.keyword === 'required'
      ? 'is required'
      : e.keyword === 'additionalProperties'
        ? 'is not allowed'
        : (e.message ?? 'is invalid');
  return { pointer: pointer || '/', message };
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
