/**
 * The release page's buttons: approve, abort (with a reason), pause, resume, promote, and during
 * a bake or a failing rollback rollback and abandon. A button is shown only when the caller's roles
 * allow the action (`GET /v1/me`) and the release's phase offers it — the public projection of the
 * workflow's own rule (workflows/handlers.ts applicabilityProblem, docs/lifecycle.md), which stays
 * the authority: an action that no longer applies is answered 409 and its reason shown. Every
 * action asks for confirmation first.
 */
import type { ReleaseStatusResponse } from '../../schemas.js';
import type { Me } from '../../ui-schemas.js';
import { ApiProblem, postJson } from './http.js';
import { byId, el } from './format.js';

type Kind = Me['actions'][number];

const TERMINAL = ['Promoted', 'RolledBack', 'Rejected', 'Failed', 'Repaired'];

/** The actions the release's status offers now (before roles). */
export function offeredActions(
  status: Pick<ReleaseStatusResponse, 'phase' | 'pendingGate' | 'paused' | 'running'>,
): Kind[] {
  const { phase, pendingGate, paused } = status;
  if (!status.running || TERMINAL.includes(phase)) return [];
  const offered: Kind[] = [];
  if (pendingGate) offered.push('approve');
  if (phase === 'Progressing' && !paused) offered.push('pause');
  if (paused) offered.push('resume');
  if (['Progressing', 'Paused', 'AwaitingApproval'].includes(phase)) offered.push('promote');
  if (phase === 'Baking') offered.push('rollback');
  if (!['RollingBack', 'Repairing'].includes(phase)) offered.push('abort');
  if (phase === 'RollbackRetrying') offered.push('abandon');
  return offered;
}

const LABELS: Record<Kind, string> = {
  approve: 'Approve',
  abort: 'Abort',
  pause: 'Pause',
  resume: 'Resume',
  promote: 'Promote now',
  rollback: 'Roll back',
  abandon: 'Abandon rollback',
};

const CONFIRM: Record<Kind, string> = {
  approve: 'Approve the pending gate; the release carries on.',
  abort: 'Abort the release: all traffic goes back to stable at once.',
  pause: "Pause the release: the observation window's clock stops until resumed.",
  resume: 'Resume the release where its window stopped.',
  promote: 'Skip the remaining steps and promote the canary now.',
  rollback: 'Restore the pre-promotion stable workload; the release ends rolled back.',
  abandon:
    'Give up the failing rollback: the release ends Failed and the service needs `canary repair`.',
};

/** Asks in the confirmation dialog; resolves with the reason/comment, or null when cancelled. */
function confirmAction(
  kind: Kind,
  releaseId: string,
): Promise<{ reason?: string; comment?: string } | null> {
  const dialog = byId<HTMLDialogElement>('confirm');
  const reason = byId<HTMLTextAreaElement>('confirm-reason');
  const comment = byId<HTMLTextAreaElement>('confirm-comment');
  byId('confirm-title').textContent = `${LABELS[kind]} ${releaseId}?`;
  byId('confirm-text').textContent = CONFIRM[kind];
  byId('confirm-reason-field').hidden = kind !== 'abort';
  byId('confirm-comment-field').hidden = kind === 'abort';
  reason.required = kind === 'abort';
  reason.value = '';
  comment.value = '';
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.textContent = LABELS[kind];
  ok.setAttribute('aria-label', `Confirm: ${LABELS[kind]}`);
  return new Promise((resolve) => {
    const cancel = byId<HTMLButtonElement>('confirm-cancel');
    // Cancel must close without the form's validation (the reason is required only to confirm)
    const onCancel = (event: Event) => {
      event.preventDefault();
      dialog.close('cancel');
    };
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener(
      'close',
      () => {
        cancel.removeEventListener('click', onCancel);
        if (dialog.returnValue !== 'ok') return resolve(null);
        if (kind === 'abort') return resolve({ reason: reason.value.trim() });
        const text = comment.value.trim();
        resolve(text ? { comment: text } : {});
      },
      { once: true },
    );
    dialog.returnValue = '';
    dialog.showModal();
  });
}

/** Renders the buttons the caller may use now; `done` gets the status an accepted action returned. */
export function renderActions(
  status: ReleaseStatusResponse,
  me: Me | null,
  done: (status: ReleaseStatusResponse) => void,
): void {
  const box = byId('release-actions');
  const error = byId('action-error');
  const allowed = new Set(me?.actions ?? []);
  const kinds = offeredActions(status).filter((k) => allowed.has(k));
  const current = Array.from(box.querySelectorAll('button'))
    .map((b) => b.dataset.action)
    .join(',');
  if (current === kinds.join(',')) return; // keep focus on a button that stays
  box.replaceChildren(
    ...kinds.map((kind) => {
      const button = el(
        'button',
        {
          type: 'button',
          'data-action': kind,
          class: kind === 'abort' || kind === 'abandon' ? 'danger' : 'primary',
          'aria-label': `${LABELS[kind]} release ${status.id}`,
        },
        LABELS[kind],
      );
      button.addEventListener('click', async () => {
        const answer = await confirmAction(kind, status.id);
        if (!answer) return;
        button.disabled = true;
        error.textContent = '';
        try {
          const next = await postJson<ReleaseStatusResponse>(
            `/v1/releases/${encodeURIComponent(status.id)}/${kind}`,
            answer,
          );
          done(next);
        } catch (e) {
          error.textContent = e instanceof ApiProblem ? e.detail : 'The API cannot be reached.';
        } finally {
          button.disabled = false;
        }
      });
      return button;
    }),
  );
}
