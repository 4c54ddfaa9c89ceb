import { ProblemCodes, type Problem, type ProblemCode } from '@connected-cloud/contract';
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
      ...(this.errors ? { errors: this.errors.slice(0, 100), errorCount: this.errors.length } : {}),
    };
  }
}

export function sendProblem(reply: FastifyReply, problem: ProblemError): FastifyReply {
  return reply.code(problem.status).headers(problem.headers).type('application/problem+json').send(problem.toProblem());
}

export const notFound = (code: ProblemCode, detail: string) => new ProblemError(404, code, detail);
export const invalidRequest = (detail: string, errors?: ProblemItem[]) => new ProblemError(400, 'invalid-request', detail, errors);
