/**
 * A client of the sandbox router's control API (plain fetch), shared by SandboxRouter and
 * SandboxWorkloads. Writes are optimistic like a Kubernetes update: read the state, send the
 * change with `ifGeneration`, and start over when another writer got in between (409
 * `generation-conflict`), a bounded number of times. An answer that is not the control API's is
 * reported by its status line only, never its body (core/foreign-text.ts).
 */
import { z } from 'zod';
import { ConflictRetriesExhaustedError } from '../activities/routers/errors.js';
import { EngineError } from '../core/errors.js';
import { foreignMessage, statusLine } from '../core/foreign-text.js';
import { problemOf, type PreflightProblem } from '../core/preflight.js';
import { cohortSchema } from '../core/routing/config.js';
import { SandboxRequestError, SandboxUnreachableError } from './errors.js';
import type { RouterState } from './router-state.js';

const stateSchema = z.object({
  stableVersion: z.string(),
  canaryVersion: z.string().nullable(),
  weights: z.object({ stable: z.number(), canary: z.number() }),
  cohorts: z.array(cohortSchema),
  generation: z.number().int(),
  versions: z.array(z.string()),
});

const errorSchema = z.object({ error: z.string(), message: z.string() });

export interface ControlClientOptions {
  /** Time limit of one HTTP call. Default 5 s. */
  timeoutMs?: number;
  /** Attempts of an optimistic write before giving up on conflicts. Default 5. */
  maxAttempts?: number;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
}

/** One write: the control endpoint and its JSON body (ifGeneration is added by the client). */
export interface ControlWrite {
  method: 'PUT' | 'POST' | 'DELETE';
  /** Path under /control, e.g. "/weights". */
  path: string;
  body?: Record<string, unknown>;
}

/** Reads and writes the sandbox router's state; every failure is an EngineError (see errors.ts). */
export class ControlClient {
  /** "sandbox/router/<url>", for messages. */
  readonly target: string;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly fetch: typeof fetch;

  constructor(url: string, options: ControlClientOptions = {}) {
    this.base = url.replace(/\/+$/, '');
    this.target = `sandbox/router/${this.base}`;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.fetch = options.fetch ?? fetch;
  }

  /** The router's current state. */
  async state(): Promise<RouterState> {
    return this.call('GET', '/state');
  }

  /**
   * The state for a pre-flight, or the problem of a control API that does not answer as one: the
   * local stack is not running, which no retry of the release fixes.
   */
  async stateForPreflight(): Promise<RouterState | PreflightProblem> {
    try {
      return await this.state();
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      const message = error.message.replace(`${this.target} `, '');
      return problemOf(error, this.target) ?? { object: this.target, message };
    }
  }

  /**
   * An optimistic write: `plan` sees the current state and returns the write to make, or null
   * when the state is already as wanted. Retries from a fresh read when another writer changed
   * the state in between. Returns the state the write answered with (or the unchanged state).
   */
  async update(plan: (state: RouterState) => ControlWrite | null): Promise<RouterState> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const state = await this.state();
      const write = plan(state);
      if (write === null) return state;
      try {
        if (write.method === 'DELETE')
          return await this.call('DELETE', `${write.path}?ifGeneration=${state.generation}`);
        return await this.call(write.method, write.path, {
          ...write.body,
          ifGeneration: state.generation,
        });
      } catch (error) {
        if (!(error instanceof SandboxRequestError && error.code === 'generation-conflict'))
          throw error;
      }
    }
    throw new ConflictRetriesExhaustedError(this.target, this.maxAttempts);
  }

  private async call(method: string, path: string, body?: unknown): Promise<RouterState> {
    const verb = `${method} /control${path.split('?')[0]} of`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(`${this.base}/control${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new SandboxUnreachableError(this.target, describeFetchError(error, this.timeoutMs), {
        cause: error,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SandboxRequestError(
        this.target,
        verb,
        response.status,
        'unexpected-response',
        `the answer (${statusLine(response.status, response.statusText)}) is not JSON, so this is not the sandbox router`,
      );
    }
    if (!response.ok) {
      const refusal = errorSchema.safeParse(json);
      if (refusal.success)
        throw new SandboxRequestError(
          this.target,
          verb,
          response.status,
          foreignMessage(refusal.data.error, 64),
          foreignMessage(refusal.data.message),
        );
      throw new SandboxRequestError(
        this.target,
        verb,
        response.status,
        'unexpected-response',
        `the answer (${statusLine(response.status, response.statusText)}) is not the control API's`,
      );
    }
    const state = stateSchema.safeParse(json);
    if (!state.success) {
      throw new SandboxRequestError(
        this.target,
        verb,
        response.status,
        'unexpected-response',
        `the answer (${statusLine(response.status, response.statusText)}) is not the sandbox router's state`,
      );
    }
    return state.data;
  }
}

/** "connect ECONNREFUSED 127.0.0.1:8089" rather than fetch's bare "fetch failed". */
function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause =
    error instanceof Error ? (error.cause as { message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
