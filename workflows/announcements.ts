/**
 * The announcements a release left undelivered when it ended: `canaryAnnouncements`, started by
 * the release (workflows/announce.ts `settle`) as a child it abandons, keeps retrying them after
 * the release's own workflow has closed — so a slow or failing sink neither keeps the release open
 * (nor the service's next release waiting) nor loses the last word of a release. Each target still
 * hears its announcements in order; the result lists what happened to each. Workflow code.
 */
import { proxyActivities } from '@temporalio/workflow';
import type {
  AnnounceActivities,
  AnnounceInput,
  AnnounceResult,
} from '../activities/notify/announce.js';

export interface AnnouncementsInput {
  /** In the order the release made them. */
  items: AnnounceInput[];
  /** The retry policy of each delivery (as the release's). */
  retry: { initialIntervalMs: number; maxIntervalMs: number };
}

export interface AnnouncementOutcome {
  id: string;
  target: string;
  result: AnnounceResult | { delivered: false; attempts: number; reason: string };
}

const targetKey = (item: AnnounceInput): string =>
  item.target.kind === 'sink' ? `sink:${item.target.sink}` : 'kubeEvent';

export async function canaryAnnouncements(
  input: AnnouncementsInput,
): Promise<AnnouncementOutcome[]> {
  const maxAttempts = Math.max(1, ...input.items.map((i) => i.maxAttempts));
  const acts = proxyActivities<AnnounceActivities>({
    startToCloseTimeout: '75s',
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: input.retry.maxIntervalMs,
      maximumAttempts: maxAttempts,
    },
  });
  const outcomes: AnnouncementOutcome[] = [];
  const tails = new Map<string, Promise<void>>();
  for (const item of input.items) {
    const key = targetKey(item);
    const tail = (tails.get(key) ?? Promise.resolve()).then(async () => {
      let result: AnnouncementOutcome['result'];
      try {
        result = await acts.announce(item);
      } catch (error) {
        result = {
          delivered: false,
          attempts: item.maxAttempts,
          reason: error instanceof Error ? error.message : String(error),
        };
      }
      outcomes.push({ id: item.announcement.id, target: key, result });
    });
    tails.set(key, tail);
  }
  await Promise.all(tails.values());
  return outcomes;
}
