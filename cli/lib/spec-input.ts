/**
 * The release spec `canary start` sends: a JSON or YAML file (`-f release.json`, `-f -` for stdin),
 * with flags for the common fields on top. The API validates it; the CLI only assembles it.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { DNS_LABEL_RE } from '../../core/names.js';
import { IMAGE_REF_RE } from '../../core/workloads/canary.js';
import { UsageError } from './context.js';

export interface SpecFlags {
  file?: string;
  service?: string;
  namespace?: string;
  stable?: string;
  canary?: string;
  releaseId?: string;
  /** `--image container=registry/app:tag`, repeatable: workloads.canary.images. */
  image?: string[];
}

/** Parses the `--image container=ref` flags into workloads.canary.images; a bad one is a UsageError. */
export function imagesFromFlags(flags: readonly string[]): Record<string, string> {
  const images: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    const container = flag.slice(0, at);
    const ref = flag.slice(at + 1);
    if (at < 0 || !DNS_LABEL_RE.test(container) || !IMAGE_REF_RE.test(ref))
      throw new UsageError(
        `--image must be <container>=<image reference>, e.g. --image app=registry.example.com/app:1.5.0 (container a DNS label, repository path lowercase), got "${flag}"`,
      );
    if (container in images) throw new UsageError(`--image names container "${container}" twice`);
    images[container] = ref;
  }
  return images;
}

/**
 * Puts the images into workloads.canary.images (the engine then deploys the canary), keeping the
 * rest of the file's workloads; without workloads, the stable Deployment is named after the service.
 */
function withImages(spec: Record<string, unknown>, images: Record<string, string>): void {
  const given = spec.workloads;
  const workloads: Record<string, unknown> =
    typeof given === 'object' && given !== null && !Array.isArray(given)
      ? { ...(given as Record<string, unknown>) }
      : { type: 'kubernetes', stableDeployment: spec.service };
  const canary = workloads.canary;
  const current =
    typeof canary === 'object' && canary !== null ? (canary as Record<string, unknown>) : {};
  const before = current.images;
  workloads.canary = {
    ...current,
    images: { ...(typeof before === 'object' && before !== null ? before : {}), ...images },
  };
  spec.workloads = workloads;
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
  const images = imagesFromFlags(flags.image ?? []);
  if (Object.keys(images).length > 0) withImages(spec, images);
  if (
    flags.file === undefined &&
    (spec.service === undefined ||
      (spec.canaryVersion === undefined && Object.keys(images).length === 0))
  ) {
    throw new UsageError(
      'give a release spec with -f release.json, or at least --service and --canary (or --image)',
    );
  }
  return spec;
}
