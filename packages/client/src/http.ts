import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';

/** A refusal of the platform: its RFC 9457 problem document, with `code` as the contract names it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly problem: { errors?: Array<{ pointer: string; message: string }>; errorCount?: number } & Record<string, unknown>,
    readonly headers: Record<string, string | string[] | undefined>,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = 'ApiError';
  }
}

export interface Call {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** A body to stream (an upload); sent as application/json. */
  body?: Readable | string;
  headers?: Record<string, string>;
}

export type Response = Dispatcher.ResponseData;

/** One HTTP exchange; a status of 400 or more becomes an ApiError (the body read); else the response, unread. */
export async function send(baseUrl: string, call: Call): Promise<Response> {
  const url = new URL(baseUrl.replace(/\/+$/, '') + call.path);
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  let body: string | Readable | undefined = call.body;
  if (call.json !== undefined) body = JSON.stringify(call.json);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await request(url, { method: call.method as 'GET', headers, body });
  if (res.statusCode < 400) return res;
  const text = await res.body.text();
  let problem: Record<string, unknown> = {};
  try {
    problem = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  throw new ApiError(res.statusCode, String(problem.code ?? 'unknown'), String(problem.detail ?? text.slice(0, 200)), problem, res.headers);
}

export async function json<T>(res: Response): Promise<T> {
  const text = await res.body.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
