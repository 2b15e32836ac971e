/** @jsxImportSource hono/jsx */
/**
 * The dashboard's page shells, server-rendered with Hono JSX: the structure, headings, labels and
 * the phase filter's options, with no inline script or style (the CSP forbids both). The one
 * client module (api/ui/client/main.ts) fills them from the API with the signed-in caller's token.
 */
import type { Child } from 'hono/jsx';
import { PHASES } from '../../workflows/messages.js';

interface LayoutProps {
  title: string;
  page: 'list' | 'release';
  releaseId?: string;
  children: Child;
}

function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/ui/assets/dashboard.css" />
        <script type="module" src="/ui/assets/dashboard.js"></script>
      </head>
      <body data-page={props.page} data-release-id={props.releaseId}>
        <header class="top">
          <a class="brand" href="/ui/">
            canary-engine
          </a>
          <div class="who">
            <span id="who" aria-live="polite"></span>
            <button type="button" id="sign-out" hidden>
              Sign out
            </button>
          </div>
        </header>
        <main>
          <section id="sign-in" class="card" hidden aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">Sign in</h1>
            <form id="sign-in-form">
              <label for="token">API token</label>
              <input id="token" name="token" type="password" autocomplete="off" required />
              <button type="submit">Sign in</button>
              <p class="hint">
                The token is kept in this browser tab only (session storage) and sent as a bearer
                token to this API.
              </p>
              <p id="sign-in-error" class="error" role="alert"></p>
            </form>
          </section>
          <div id="content" hidden>
            {props.children}
          </div>
          <p id="notice" class="notice" role="status" aria-live="polite"></p>
        </main>
        <dialog id="confirm" aria-labelledby="confirm-title">
          <form method="dialog" id="confirm-form">
            <h2 id="confirm-title"></h2>
            <p id="confirm-text"></p>
            <div id="confirm-reason-field" hidden>
              <label for="confirm-reason">Reason (recorded with the action)</label>
              <textarea id="confirm-reason" rows={3} maxlength={1000}></textarea>
            </div>
            <div id="confirm-comment-field">
              <label for="confirm-comment">Comment (optional)</label>
              <textarea id="confirm-comment" rows={2} maxlength={1000}></textarea>
            </div>
            <div class="buttons">
              <button type="submit" value="cancel" id="confirm-cancel">
                Cancel
              </button>
              <button type="submit" value="ok" id="confirm-ok" class="primary">
                Confirm
              </button>
            </div>
          </form>
        </dialog>
      </body>
    </html>
  );
}

/** `/ui/`: the releases list with its filters. */
export function ListPage() {
  return (
    <Layout title="Releases · canary-engine" page="list">
      <h1>Releases</h1>
      <form id="filters" class="filters" role="search" aria-label="Filter releases">
        <label>
          Service
          <input name="service" id="filter-service" type="text" placeholder="any" />
        </label>
        <label>
          Namespace
          <input name="namespace" id="filter-namespace" type="text" placeholder="any" />
        </label>
        <label>
          Phase
          <select name="phase" id="filter-phase">
            <option value="">any</option>
            {PHASES.map((phase) => (
              <option value={phase}>{phase}</option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <p id="list-error" class="error" role="alert"></p>
      <div class="table-wrap">
        <table id="releases" aria-describedby="list-updated">
          <thead>
            <tr>
              <th scope="col">Release</th>
              <th scope="col">Service</th>
              <th scope="col">Versions</th>
              <th scope="col">Phase</th>
              <th scope="col">Weight</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody id="release-rows"></tbody>
        </table>
      </div>
      <p class="meta">
        <span id="list-updated"></span>{' '}
        <button type="button" id="load-more" hidden>
          Load more
        </button>
      </p>
    </Layout>
  );
}

/** `/ui/releases/{id}`: one release. */
export function ReleasePage(props: { releaseId: string }) {
  return (
    <Layout title={`${props.releaseId} · canary-engine`} page="release" releaseId={props.releaseId}>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/ui/">Releases</a> / <span>{props.releaseId}</span>
      </nav>
      <section class="summary" aria-labelledby="release-title">
        <h1 id="release-title">{props.releaseId}</h1>
        <p id="release-facts" class="facts"></p>
        <p id="release-outcome" class="outcome"></p>
        <p id="release-gate" class="gate" role="status"></p>
        <div id="release-actions" class="actions" role="group" aria-label="Actions"></div>
        <p id="action-error" class="error" role="alert"></p>
        <p class="meta">
          <a id="temporal-link" href="#" target="_blank" rel="noopener noreferrer" hidden>
            Open in the Temporal UI
          </a>{' '}
          <span id="live" aria-live="polite"></span>
        </p>
      </section>
      <section aria-labelledby="plan-title">
        <h2 id="plan-title">Steps</h2>
        <ol id="plan" class="plan"></ol>
      </section>
      <section aria-labelledby="charts-title">
        <h2 id="charts-title">Canary and baseline</h2>
        <p id="charts-note" class="meta"></p>
        <div id="charts" class="charts"></div>
      </section>
      <section aria-labelledby="weight-title">
        <h2 id="weight-title">Weight over time</h2>
        <div id="weight-chart" class="chart"></div>
      </section>
      <section aria-labelledby="decisions-title">
        <h2 id="decisions-title">Decisions</h2>
        <ol id="decisions" class="decisions"></ol>
      </section>
      <section aria-labelledby="actions-title">
        <h2 id="actions-title">Actions by people</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">On</th>
                <th scope="col">Comment</th>
              </tr>
            </thead>
            <tbody id="action-rows"></tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol id="timeline" class="timeline"></ol>
      </section>
    </Layout>
  );
}
