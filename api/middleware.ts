/**
 * Request middleware shared by the routes: the body size limit, JSON parsing that names the syntax
 * error, and the validation hook that turns zod issues (core/problems.ts) into a 400 listing every
 * field path.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Hook } from '@hono/zod-openapi';
import { problemsFromZod } from '../core/problems.js';
import { invalidRequest, problemResponse, ProblemError } from './problems.js';

/** 413 problem for bodies over `maxBytes` (declared by Content-Length or counted while streaming). */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      problemResponse(
        c,
        new ProblemError(
          413,
          'payload-too-large',
          `the request body is larger than ${maxBytes} bytes`,
        ),
      ),
  });
}

const JSON_TYPE_RE = /^application\/([a-z-.]+\+)?json/i;

/** Parses a JSON body once, up front, so malformed JSON is a 400 that says what is wrong with it. */
export const parseJsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type');
  if (type && JSON_TYPE_RE.test(type)) {
    try {
      await c.req.json();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ProblemError(
        400,
        'malformed-json',
        `the request body is not valid JSON: ${reason}`,
      );
    }
  }
  await next();
};

const TARGETS: Record<string, string> = {
  json: 'request body',
  query: 'query string',
  param: 'path',
  header: 'headers',
};

/** The default hook of every route validator: a failed validation is a 400 problem. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the hook serves every route, whatever its input and env
export const validationHook: Hook<any, any, any, void> = (result) => {
  if (!result.success) {
    throw invalidRequest(problemsFromZod(result.error), TARGETS[result.target] ?? result.target);
  }
};
