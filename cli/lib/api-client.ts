/**
 * The canary API as the CLI sees it: JSON requests with the bearer token, problem documents turned
 * into ApiError, and an unreachable API turned into ConnectionError (exit code 2).
 */

import type { ProblemDocument } from '../../api/problems.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/** The API could not be reached at all (refused, DNS, timeout). */
export class ConnectionError extends Error {
  constructor(
    readonly apiUrl: string,
    reason: string,
  ) {
    super(`cannot reach the canary API at ${apiUrl} (${reason}); check --api or CANARY_API_URL`);
    this.name = 'ConnectionError';
  }
}

/**
 * An error response: the API's problem document, of which only the status is certain (a proxy's
 * error page in front of the API carries none of the rest).
 */
export type Problem = Partial<ProblemDocument> & Pick<ProblemDocument, 'status'>;

/** The API answered with an error (an RFC 9457 problem document, or something else). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }

  /** The problem kind, e.g. "release-ended" for urn:canary-engine:problem:release-ended. */
  get kind(): string | undefined {
    return this.problem.type?.replace(/^urn:canary-engine:problem:/, '');
  }
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((error as Error).name === 'TimeoutError') return 'timed out';
  return cause?.message ?? (error as Error).message ?? String(error);
}

export interface ApiClientOptions {
  apiUrl: string;
  token?: string;
  /** Deadline of one ordinary request (default 30 s; event streams have none). */
  timeoutMs?: number;
}

export class ApiClient {
  readonly apiUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...extra,
    };
  }

  /** The raw response; throws ConnectionError when the API cannot be reached. */
  async fetch(path: string, init: RequestInit & { stream?: boolean } = {}): Promise<Response> {
    const { stream, ...rest } = init;
    try {
      return await fetch(`${this.apiUrl}${path}`, {
        ...rest,
        headers: this.headers(rest.headers as Record<string, string> | undefined),
        ...(stream ? {} : { signal: rest.signal ?? AbortSignal.timeout(this.timeoutMs) }),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ConnectionError(this.apiUrl, reasonOf(error));
    }
  }

  /** Throws ApiError for a non-2xx response. */
  async check(response: Response): Promise<Response> {
    if (response.ok) return response;
    const text = await response.text();
    let problem: Problem = {
      status: response.status,
      detail: text.slice(0, 500) || `HTTP ${response.status}`,
    };
    try {
      const parsed = JSON.parse(text) as Partial<Problem>;
      if (parsed && typeof parsed === 'object') problem = { ...parsed, status: response.status };
    } catch {
      // not JSON (a proxy's error page, say): keep the text
    }
    if (response.status === 401 && !this.token)
      problem.detail = `${problem.detail ?? 'unauthorized'} (no token given: set CANARY_API_TOKEN or --token)`;
    throw new ApiError(problem);
  }

  async get<T>(path: string): Promise<T> {
    return (await this.check(await this.fetch(path))).json() as Promise<T>;
  }

  /** POST with a JSON body; returns the status code with the parsed body. */
  async post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
    const response = await this.check(
      await this.fetch(path, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    );
    return { status: response.status, body: (await response.json()) as T };
  }
}
