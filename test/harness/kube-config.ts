/**
 * What the Kubernetes test harness (test/harness/kube.ts) writes and installs once kube-apiserver
 * answers: kubeconfigs trusting its self-signed serving CA, and the CRDs in test/fixtures/crds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'crds');

/** kube-apiserver's generated serving cert file holds the cert and then its self-signed CA. */
export function servingCa(certDir: string): string {
  const crt = readdirSync(certDir).find((f) => f.endsWith('.crt') && !f.includes('loopback'));
  if (!crt) throw new Error(`kube-apiserver wrote no serving certificate into ${certDir}`);
  const blocks =
    readFileSync(join(certDir, crt), 'utf8').match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
    ) ?? [];
  const ca = blocks[blocks.length - 1];
  if (!ca) throw new Error(`no certificate in ${join(certDir, crt)}`);
  return `${ca}\n`;
}

export function kubeconfigYaml(server: string, ca: string, user: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') },
        },
      ],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user, namespace: 'default' } }],
      'current-context': 'test',
    },
    null,
    2,
  );
}

/**
 * Creates the CRDs through the dynamic client: the typed ApiextensionsV1Api would re-serialize the
 * schemas and drop keys it does not know by their JSON names (x-kubernetes-preserve-unknown-fields).
 */
export async function installCrds(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(CustomObjectsApi);
  const crds: CustomResourceDefinition[] = [];
  for (const file of readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(CRD_DIR, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const crd = doc.toJS() as CustomResourceDefinition | null;
      if (crd) crds.push(crd);
    }
  }
  const at = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
  await Promise.all(crds.map((body) => api.createClusterCustomObject({ ...at, body })));
  const deadline = Date.now() + 30_000;
  for (const crd of crds) {
    for (;;) {
      const current = (await api.getClusterCustomObject({
        ...at,
        name: crd.metadata.name,
      })) as CustomResourceDefinition;
      if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${crd.metadata.name} was not Established within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

interface CustomResourceDefinition {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}
