/**
 * A test "kubelet" for the API server of test/harness/kube.ts: there is no scheduler and no real
 * kubelet, so pods made by the ReplicaSet controller would stay Pending. This watches every pod and
 * writes its status subresource as a kubelet would once the containers run: phase Running,
 * PodScheduled / Initialized / PodReadyToStartContainers True, a pod IP, a start time and a running
 * state for each container, then ContainersReady and Ready True with the containers ready.
 *
 * The ReplicaSet controller counts a pod ready when its Ready condition is True and available once
 * that condition's lastTransitionTime is minReadySeconds old (IsPodAvailable in
 * k8s.io/kubernetes pkg/api/v1/pod/util.go); the Deployment controller sums its ReplicaSets. So a
 * pod becomes Ready in one write, at once, unless its annotations (copied from the pod template)
 * say otherwise:
 *   - `test.canary-engine.io/ready-after-ms: "<ms>"`: Running at once, Ready that much later;
 *   - `test.canary-engine.io/never-ready: "true"`: Running, never Ready (a stuck rollout).
 *
 * Pods stay unscheduled (no nodeName), so the API server deletes them at once when their
 * ReplicaSet scales down (CheckGracefulDelete in pkg/registry/core/pod/strategy.go); nothing here
 * handles deletion. The watch reconnects after errors, so this survives the API server being
 * stopped and started again, and a sweep every second catches any pod a lost write left behind.
 */
import {
  CoreV1Api,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';

export const READY_AFTER_MS_ANNOTATION = 'test.canary-engine.io/ready-after-ms';
export const NEVER_READY_ANNOTATION = 'test.canary-engine.io/never-ready';

const SWEEP_MS = 1000;
const RECONNECT_MS = 500;

export interface TestKubelet {
  stop(): Promise<void>;
}

/** When (epoch ms) a started pod should turn Ready, or null when it never should. */
export function readyAt(pod: V1Pod, startedMs: number): number | null {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[NEVER_READY_ANNOTATION] === 'true') return null;
  const delay = Number(annotations[READY_AFTER_MS_ANNOTATION] ?? 0);
  return startedMs + (Number.isFinite(delay) && delay > 0 ? delay : 0);
}

/** The status a kubelet would report for `pod`, started at `started`, ready or not. */
export function podStatus(pod: V1Pod, started: Date, ready: boolean, now: Date): V1Pod['status'] {
  const condition = (type: string, status: boolean): V1PodCondition => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: status && ['Ready', 'ContainersReady'].includes(type) ? now : started,
  });
  return {
    phase: 'Running',
    startTime: started,
    conditions: [
      condition('PodScheduled', true),
      condition('PodReadyToStartContainers', true),
      condition('Initialized', true),
      condition('ContainersReady', ready),
      condition('Ready', ready),
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((container) => ({
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      ready,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: started } },
    })),
  };
}

/** Starts the test kubelet on the API server of `kubeconfigPath`; resolves once it has listed the pods. */
export async function startTestKubelet(kubeconfigPath: string): Promise<TestKubelet> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const informer = new ListWatch<V1Pod>(
    '/api/v1/pods',
    new Watch(kc),
    () => core.listPodForAllNamespaces({}),
    false,
  );
  let stopped = false;
  let ipCounter = 0;
  /** Pods with a write or a timer in progress, by uid: never two at once. */
  const busy = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const startedAt = new Map<string, number>();

  const patch = (pod: V1Pod, status: V1Pod['status']) =>
    core.patchNamespacedPodStatus(
      {
        name: pod.metadata?.name as string,
        namespace: pod.metadata?.namespace as string,
        body: { status },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  /** Moves one pod on: Pending → Running (and Ready when due), Running → Ready when due. */
  async function handle(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid;
    if (!uid || stopped || busy.has(uid) || pod.metadata?.deletionTimestamp) return;
    const status = pod.status ?? {};
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return;
    const isReady = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (isReady) return;
    // the API server keeps whole seconds: the delay counts from the millisecond this started it
    const started = new Date(startedAt.get(uid) ?? status.startTime ?? Date.now());
    const due = readyAt(pod, started.getTime());
    if (status.phase === 'Running' && (due === null || due > Date.now())) {
      if (due !== null) schedule(uid, pod, due);
      return;
    }
    busy.add(uid);
    try {
      const now = new Date();
      const ready = due !== null && due <= now.getTime();
      const next = podStatus(pod, started, ready, now);
      if (!status.podIP && next) {
        ipCounter += 1;
        const ip = `10.244.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
        Object.assign(next, { podIP: ip, podIPs: [{ ip }] });
      }
      await patch(pod, next);
      startedAt.set(uid, started.getTime());
      if (!ready && due !== null) schedule(uid, pod, due, true);
    } catch {
      // deleted meanwhile, or the API server is away: the sweep tries again
    } finally {
      busy.delete(uid);
    }
  }

  function schedule(uid: string, pod: V1Pod, due: number, force = false): void {
    if (timers.has(uid) && !force) return;
    clearTimeout(timers.get(uid));
    const timer = setTimeout(
      () => {
        timers.delete(uid);
        void handle(latest(pod));
      },
      Math.max(0, due - Date.now()),
    );
    timer.unref();
    timers.set(uid, timer);
  }

  /** The informer's newest copy of `pod` (its status may have changed since it was scheduled). */
  function latest(pod: V1Pod): V1Pod {
    const found = informer.get(pod.metadata?.name as string, pod.metadata?.namespace);
    return found && found.metadata?.uid === pod.metadata?.uid ? found : pod;
  }

  const onPod = (pod: V1Pod) => void handle(pod);
  informer.on('add', onPod);
  informer.on('update', onPod);
  informer.on('delete', (pod) => {
    const uid = pod.metadata?.uid;
    if (uid) {
      clearTimeout(timers.get(uid));
      timers.delete(uid);
      startedAt.delete(uid);
    }
  });
  informer.on('error', () => {
    if (stopped) return;
    setTimeout(
      () => void (stopped ? undefined : informer.start().catch(() => undefined)),
      RECONNECT_MS,
    ).unref();
  });
  const sweeper = setInterval(() => {
    for (const pod of informer.list()) void handle(pod);
  }, SWEEP_MS);
  sweeper.unref();
  await informer.start();
  return {
    async stop() {
      stopped = true;
      clearInterval(sweeper);
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await informer.stop();
    },
  };
}
