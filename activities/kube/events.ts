/**
 * Kubernetes Events on a release's stable Deployment, one per phase change and decision, so
 * `kubectl describe deployment` and `kubectl get events` tell the release's story the way
 * controllers' events do (reason `CanaryRolledBack`, type Warning, the message with the numbers).
 *
 * core/v1 Events, which `kubectl describe` lists by involvedObject; written with eventTime,
 * reportingComponent and action as well (the shape events.k8s.io/v1 reads back as
 * reportingController and regarding). Each event's name derives from the announcement's id, so a
 * retried attempt finds its event already there (409) instead of writing it twice.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ApiException, V1MicroTime, type CoreV1Event } from '@kubernetes/client-node';
import {
  EVENT_LOOKS,
  kubeEventMessage,
  type Announcement,
} from '../../core/notifications/events.js';
import { accessRule } from './access.js';
import type { KubeClients } from './kube-clients.js';
import { describeRef, KINDS, objectRef } from './object-model.js';
import { toKubeError } from './objects.js';

/** The component that reports the events (events.k8s.io's reportingController). */
export const REPORTING_CONTROLLER = 'canary-engine.io/engine';

/** The annotation with the announcement's id (`<run id>.<sequence>`). */
export const ANNOUNCEMENT_ANNOTATION = 'canary-engine.io/announcement';

/** What recording events takes (the workload provider's access table lists it). */
export const EVENT_ACCESS = accessRule({ group: '', plural: 'events' }, ['create']);

/** Where an announcement's event goes: the stable Deployment of the release. */
export interface EventTarget {
  namespace: string;
  deployment: string;
}

/** `<deployment>.<16 hex>`, like the names the kubelet's and controllers' recorders choose. */
export function eventName(deployment: string, announcementId: string): string {
  const hash = createHash('sha256').update(announcementId).digest('hex').slice(0, 16);
  return `${deployment.slice(0, 253 - 17)}.${hash}`;
}

/** The Event for an announcement on the Deployment (uid undefined: the Deployment is gone). */
export function kubeEvent(
  a: Announcement,
  target: EventTarget,
  uid: string | undefined,
  instance: string,
): CoreV1Event {
  const look = EVENT_LOOKS[a.event];
  const at = new Date(a.at);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: eventName(target.deployment, a.id),
      namespace: target.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'canary-engine' },
      // the announcement's id ends in its sequence number: events of one instant sort by it
      annotations: { 'canary-engine.io/release-id': a.releaseId, [ANNOUNCEMENT_ANNOTATION]: a.id },
    },
    involvedObject: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: target.deployment,
      namespace: target.namespace,
      ...(uid ? { uid } : {}),
    },
    reason: look.reason,
    type: look.type,
    message: kubeEventMessage(a),
    action: a.event,
    eventTime: new V1MicroTime(at.getTime()),
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    source: { component: 'canary-engine' },
    reportingComponent: REPORTING_CONTROLLER,
    reportingInstance: instance.slice(0, 128),
  };
}

export class KubeEvents {
  constructor(
    private readonly kube: KubeClients,
    private readonly instance: string = hostname(),
  ) {}

  /** Records the announcement on the Deployment; done when the event exists (also from an earlier attempt). */
  async record(a: Announcement, target: EventTarget): Promise<void> {
    const ref = objectRef(KINDS.deployment, target.namespace, target.deployment);
    let uid: string | undefined;
    try {
      const deployment = await this.kube.apps.readNamespacedDeployment({
        name: target.deployment,
        namespace: target.namespace,
      });
      uid = deployment.metadata?.uid;
    } catch (error) {
      // a release refused because its Deployment is missing still tells `kubectl get events` why
      if (!(error instanceof ApiException && error.code === 404))
        throw toKubeError(error, ref, 'get');
    }
    const body = kubeEvent(a, target, uid, this.instance);
    try {
      await this.kube.core.createNamespacedEvent({ namespace: target.namespace, body });
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return;
      throw toKubeError(
        error,
        { namespace: target.namespace, kind: 'Event', name: body.metadata?.name ?? '' },
        `create (for ${describeRef(ref)})`,
      );
    }
  }
}
