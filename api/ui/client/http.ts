/**
 * The dashboard's calls to the API: the signed-in caller's token from session storage as a bearer
 * token, and `credentials: 'same-origin'` so a session cookie works too. A 401 signs the page out;
 * other problems become ApiProblem with the API's own detail (the API never echoes a foreign
 * server's answer).
 */
const TOKEN_KEY = 'canary-api-token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** An answer of the API that is a problem document (or not JSON at all). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
}

/** Called on any 401: the page shows the sign-in box. */
let onUnauthorized: (detail: string) => void = () => {};
export function whenUnauthorized(handler: (detail: string) => void): void {
  onUnauthorized = handler;
}

export function authHeaders(): Record<string, string> {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A fetch to this API with the caller's credentials. */
export function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(path, {
    ...init,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...authHeaders(), ...(init.headers ?? {}) },
  });
}

async function problemOf(response: Response): Promise<ApiProblem> {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { detail?: unknown };
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not a problem document: the status line says enough
  }
  return new ApiProblem(response.status, detail);
}

/** GET or POST JSON; throws ApiProblem on an error answer (and signs out on 401). */
export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await apiFetch(path, init);
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401) onUnauthorized(problem.detail);
    throw problem;
  }
  return (await response.json()) as T;
}

export function postJson<T>(path: string, body: unknown): Promise<T> {
  return apiJson<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
