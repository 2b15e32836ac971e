/**
 * What every API command shares: where the API is and which token to use (flags, else
 * CANARY_API_URL / CANARY_API_TOKEN), --json, and one wrapper that turns errors into a message on
 * stderr and exit code 2 — never a stack trace.
 */
import type { Command } from 'commander';
import { problemLine } from '../../core/problems.js';
import { RELEASE_ID_RE } from '../../core/spec.js';
import { ApiClient, ApiError, ConnectionError, DEFAULT_API_URL } from './api-client.js';
import { StreamFailure } from './events.js';
import { EXIT, processOutput, type Output } from './output.js';

export interface GlobalOptions {
  api?: string;
  token?: string;
  json?: boolean;
}

export interface CommandContext {
  client: ApiClient;
  json: boolean;
  output: Output;
}

/** A problem the user can fix (bad flags, unreadable file): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function contextOf(
  command: Command,
  output: Output = processOutput,
  env: NodeJS.ProcessEnv = process.env,
): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const apiUrl = options.api ?? env.CANARY_API_URL ?? DEFAULT_API_URL;
  if (!/^https?:\/\/[^/]+/.test(apiUrl))
    throw new UsageError(`the API URL must start with http:// or https://, got "${apiUrl}"`);
  const token = options.token ?? env.CANARY_API_TOKEN;
  return {
    client: new ApiClient({ apiUrl, ...(token ? { token } : {}) }),
    json: options.json === true,
    output,
  };
}

/** Prints an error the way every command does and returns its exit code. */
export function reportError(error: unknown, output: Output): number {
  if (error instanceof ApiError) {
    const title = error.problem.title ? `${error.problem.title}: ` : '';
    output.err(`canary: ${title}${error.message} (HTTP ${error.status})`);
    for (const p of error.problem.problems ?? []) output.err(`  ${problemLine(p)}`);
    return EXIT.error;
  }
  if (
    error instanceof ConnectionError ||
    error instanceof UsageError ||
    error instanceof StreamFailure
  ) {
    output.err(`canary: ${error.message}`);
    return EXIT.error;
  }
  output.err(
    `canary: unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
  );
  return EXIT.error;
}

/**
 * Runs a command's work and sets the process exit code: what the work returns, or 2 when it
 * throws (after printing why).
 */
export async function runCommand(
  command: Command,
  work: (ctx: CommandContext) => Promise<number>,
): Promise<void> {
  let code: number;
  try {
    code = await work(contextOf(command));
  } catch (error) {
    code = reportError(error, processOutput);
  }
  process.exitCode = code;
}

/** A release id argument, checked before it goes into a URL. */
export function releaseIdArg(id: string): string {
  if (!RELEASE_ID_RE.test(id))
    throw new UsageError(`"${id}" is not a release id (1-128 letters, digits, "-", "_" or ".")`);
  return id;
}
