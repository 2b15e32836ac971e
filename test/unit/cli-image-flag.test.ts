/**
 * `canary start --image app=registry/app:1.5.0`: the flags become workloads.canary.images (the
 * engine deploys the canary), on top of the file's workloads; a malformed flag is a usage error
 * (exit 2) naming the flag, before anything is sent.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/lib/context.js';
import { assembleSpec, imagesFromFlags } from '../../cli/lib/spec-input.js';

function specFile(content: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'canary-image-')), 'release.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('canary start --image', () => {
  it('sets the images of a spec without workloads, naming the stable Deployment after the service', async () => {
    const spec = await assembleSpec({
      file: specFile({ service: 'web', router: { type: 'istio', virtualService: 'web' } }),
      image: ['app=registry.example.com/web:1.5.0', 'migrate=registry.example.com/migrate:1.5.0'],
    });
    expect(spec.workloads).toEqual({
      type: 'kubernetes',
      stableDeployment: 'web',
      canary: {
        images: {
          app: 'registry.example.com/web:1.5.0',
          migrate: 'registry.example.com/migrate:1.5.0',
        },
      },
    });
  });

  it("keeps the file's workloads and canary settings, the flags' images winning", async () => {
    const spec = await assembleSpec({
      file: specFile({
        service: 'web',
        workloads: {
          type: 'kubernetes',
          stableDeployment: 'frontend',
          canary: { images: { app: 'old:1', proxy: 'envoy:1.30' }, onEnd: 'delete' },
        },
      }),
      image: ['app=registry.example.com/web:1.5.0'],
    });
    expect(spec.workloads).toEqual({
      type: 'kubernetes',
      stableDeployment: 'frontend',
      canary: {
        images: { app: 'registry.example.com/web:1.5.0', proxy: 'envoy:1.30' },
        onEnd: 'delete',
      },
    });
  });

  it('starts from --service and --image alone (the canary version comes from the tag)', async () => {
    const spec = await assembleSpec({ service: 'web', image: ['app=web:2'] });
    expect(spec).toMatchObject({
      service: 'web',
      workloads: { canary: { images: { app: 'web:2' } } },
    });
  });

  it('refuses a flag that is not <container>=<image reference>, naming the flag', () => {
    for (const flag of ['app', 'app=', '=web:1', 'App=web:1', 'app=Web:1', 'app=web :1'])
      expect(() => imagesFromFlags([flag])).toThrow(
        new UsageError(
          `--image must be <container>=<image reference>, e.g. --image app=registry.example.com/app:1.5.0 (container a DNS label, repository path lowercase), got "${flag}"`,
        ),
      );
    expect(() => imagesFromFlags(['app=web:1', 'app=web:2'])).toThrow(
      '--image names container "app" twice',
    );
  });
});
