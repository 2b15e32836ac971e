/**
 * The release spec `canary start` sends: a JSON or YAML file (`-f release.json`, `-f -` for stdin),
 * with flags for the common fields on top. The API validates it; the CLI only assembles it.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './context.js';

export interface SpecFlags {
  file?: string;
  service?: string;
  namespace?: string;
  stable?: string;
  canary?: string;
  releaseId?: string;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError('-f - reads the release spec from stdin, but stdin is a terminal');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses JSON, or YAML for .yaml/.yml files (and for stdin that is not JSON). */
export function parseSpecText(text: string, source: string): Record<string, unknown> {
  const yaml = /\.ya?ml$/i.test(source);
  let value: unknown;
  try {
    value = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    if (!yaml && source === 'stdin') return parseSpecText(text, 'stdin.yaml');
    throw new UsageError(
      `${source} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${source} must hold one object (the release spec)`);
  return value as Record<string, unknown>;
}

/** The spec to send: the file's content, with the flags' fields set on top. */
export async function assembleSpec(flags: SpecFlags): Promise<Record<string, unknown>> {
  let spec: Record<string, unknown> = {};
  if (flags.file !== undefined) {
    const text =
      flags.file === '-'
        ? await readStdin()
        : await readFile(flags.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
            throw new UsageError(
              `cannot read ${flags.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
            );
          });
    spec = parseSpecText(text, flags.file === '-' ? 'stdin' : flags.file);
  }
  const fromFlags: Record<string, string | undefined> = {
    service: flags.service,
    namespace: flags.namespace,
    stableVersion: flags.stable,
    canaryVersion: flags.canary,
    releaseId: flags.releaseId,
  };
  for (const [key, value] of Object.entries(fromFlags)) if (value !== undefined) spec[key] = value;
  if (
    flags.file === undefined &&
    (spec.service === undefined ||
      spec.stableVersion === undefined ||
      spec.canaryVersion === undefined)
  ) {
    throw new UsageError(
      'give a release spec with -f release.json, or at least --service, --stable and --canary',
    );
  }
  return spec;
}
