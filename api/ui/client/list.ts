/**
 * The releases list: filters by service, namespace and phase (the API's list filters, kept in the
 * page's query string so a filtered view can be shared), pages with nextCursor, and live updates by
 * polling every few seconds while the tab is visible.
 */
import type { ReleaseSummary } from '../../schemas.js';
import { ApiProblem, apiJson } from './http.js';
import { byId, el, phaseBadge, when } from './format.js';

const POLL_MS = 3000;
const FILTERS = ['service', 'namespace', 'phase'] as const;

interface ListAnswer {
  releases: ReleaseSummary[];
  nextCursor: string | null;
}

function row(r: ReleaseSummary): HTMLTableRowElement {
  const link = el('a', { href: `/ui/releases/${encodeURIComponent(r.id)}` }, r.id);
  return el(
    'tr',
    { 'data-release-id': r.id },
    el('th', { scope: 'row' }, link),
    el('td', {}, `${r.service ?? '—'}`, el('span', { class: 'sub' }, r.namespace ?? '')),
    el('td', {}, `${r.stableVersion ?? '…'} → ${r.canaryVersion ?? '—'}`),
    el('td', {}, phaseBadge(r.phase)),
    el('td', {}, r.weight === null ? '—' : `${r.weight}%`),
    el('td', {}, when(r.startedAt)),
    el('td', {}, when(r.closedAt)),
  );
}

export function startList(): void {
  const form = byId<HTMLFormElement>('filters');
  const rows = byId('release-rows');
  const more = byId<HTMLButtonElement>('load-more');
  const updated = byId('list-updated');
  const error = byId('list-error');
  const params = new URLSearchParams(location.search);
  for (const name of FILTERS) {
    const input = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
    if (input) input.value = params.get(name) ?? '';
  }
  let pages = 1;
  let timer: number | undefined;

  const query = (cursor?: string): string => {
    const q = new URLSearchParams();
    for (const name of FILTERS) {
      const value = params.get(name);
      if (value) q.set(name, value);
    }
    q.set('pageSize', '25');
    if (cursor) q.set('cursor', cursor);
    return `/v1/releases?${q.toString()}`;
  };

  const load = async (): Promise<void> => {
    try {
      const all: ReleaseSummary[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < pages; page += 1) {
        const answer: ListAnswer = await apiJson<ListAnswer>(query(cursor ?? undefined));
        all.push(...answer.releases);
        cursor = answer.nextCursor;
        if (!cursor) break;
      }
      rows.replaceChildren(
        ...(all.length > 0
          ? all.map(row)
          : [el('tr', {}, el('td', { colspan: '7', class: 'empty' }, 'No releases match.'))]),
      );
      more.hidden = cursor === null;
      error.textContent = '';
      updated.textContent = `${all.length} release${all.length === 1 ? '' : 's'}, updated ${new Date().toLocaleTimeString()}`;
      if (performance.getEntriesByName('dashboard-rendered').length === 0)
        performance.mark('dashboard-rendered');
      document.body.dataset.loaded = 'true';
    } catch (e) {
      error.textContent = e instanceof ApiProblem ? e.detail : 'The API cannot be reached.';
    }
  };

  const poll = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      if (document.visibilityState === 'visible') await load();
      poll();
    }, POLL_MS);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    for (const name of FILTERS) {
      const value = String(data.get(name) ?? '').trim();
      if (value) params.set(name, value);
      else params.delete(name);
    }
    history.replaceState(null, '', `?${params.toString()}`);
    pages = 1;
    void load();
  });
  more.addEventListener('click', () => {
    pages += 1;
    void load();
  });
  void load().then(poll);
}
