/**
 * The dashboard's one client module (bundled by scripts/ui-build.mjs): sign-in with an API token
 * kept in session storage, who the caller is (`GET /v1/me`), then the page the server rendered the
 * shell of — the releases list or one release.
 */
import './styles.css';
import type { Me } from '../../ui-schemas.js';
import { byId } from './format.js';
import { ApiProblem, apiJson, storeToken, storedToken, whenUnauthorized } from './http.js';
import { startList } from './list.js';
import { startRelease } from './release.js';

function showSignIn(message: string): void {
  byId('sign-in').hidden = false;
  byId('content').hidden = true;
  byId('sign-out').hidden = true;
  byId('who').textContent = '';
  byId('sign-in-error').textContent = message;
  byId<HTMLInputElement>('token').focus();
}

async function whoAmI(): Promise<Me | null> {
  try {
    return await apiJson<Me>('/v1/me');
  } catch (e) {
    if (e instanceof ApiProblem && e.status === 401) return null;
    throw e;
  }
}

let started = false;

async function enter(): Promise<void> {
  const hadToken = storedToken() !== null;
  const me = await whoAmI();
  if (!me) {
    showSignIn(hadToken ? 'That token is not valid here.' : '');
    return;
  }
  byId('sign-in').hidden = true;
  byId('content').hidden = false;
  byId('sign-out').hidden = false;
  byId('who').textContent =
    `${me.name} (${me.roles.join(', ')}${me.scopes ? `; ${me.scopes.join(', ')}` : ''})`;
  if (started) return;
  started = true;
  const page = document.body.dataset.page;
  if (page === 'release') startRelease(document.body.dataset.releaseId ?? '', me);
  else startList();
}

whenUnauthorized((detail) => {
  storeToken(null);
  showSignIn(detail);
});

byId<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = byId<HTMLInputElement>('token').value.trim();
  if (!token) return;
  storeToken(token);
  byId<HTMLInputElement>('token').value = '';
  void enter();
});

byId('sign-out').addEventListener('click', () => {
  storeToken(null);
  location.reload();
});

enter().catch(() => {
  byId('notice').textContent = 'The API cannot be reached.';
});
