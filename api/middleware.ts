/**
 * Request middleware shared by the routes: the body size limit, JSON parsing that names the syntax
 * error, and the validation hook that turns zod issues into a 400 listing every field path.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Hook } from '@hono/zod-openapi';
import type { z } from 'zod';
import { formatPath } from '../core/names.js';
import type { SpecProblem } from '../core/spec.js';
import { invalidRequest, problemResponse, ProblemError } from './problems.js';

/** 413 problem for bodies over `maxBytes` (declared by Content-Length or counted while streaming). */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => problemResponse(c, new ProblemError(413, 'payload-too-large', `the request body is larger than ${maxBytes} bytes`)),
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
      throw new ProblemError(400, 'malformed-json', `the request body is not valid JSON: ${reason}`);
    }
  }
  await next();
};

type Issue = z.core.$ZodIssue;

/**
 * The union option the input was most likely meant as: one whose fields the input does not
 * contradict (no unknown field at its top), then the one with the fewest issues.
 */
function closestOption(options: Issue[][]): Issue[] | undefined {
  const unknownAtTop = (issues: Issue[]) => issues.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0);
  return [...options].sort((a, b) => Number(unknownAtTop(a)) - Number(unknownAtTop(b)) || a.length - b.length)[0];
}

/**
 * Zod issues as field problems with full paths: an unknown field becomes one problem at its own
 * path, a missing field says "is required", and a union that matched no option reports the issues
 * of the option the input was closest to (instead of zod's bare "Invalid input").
 */
export function issueProblems(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): SpecProblem[] {
  return issues.flatMap((issue): SpecProblem[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'is not a known field' }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const option = closestOption(issue.errors);
      if (option && option.length > 0) return issueProblems(option, path);
    }
    if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      return [{ path: formatPath(path), message: `is required (${issue.expected})` }];
    }
    return [{ path: formatPath(path), message: issue.message }];
  });
}

const TARGETS: Record<string, string> = { json: 'request body', query: 'query string', param: 'path', header: 'headers' };

/** The default hook of every route validator: a failed validation is a 400 problem. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the hook serves every route, whatever its input and env
export const validationHook: Hook<any, any, any, void> = (result) => {
  if (!result.success) {
    throw invalidRequest(issueProblems(result.error.issues), TARGETS[result.target] ?? result.target);
  }
};
