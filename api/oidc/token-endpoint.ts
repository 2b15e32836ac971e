/**
 * The code exchange at the identity provider's token_endpoint (RFC 6749 §4.1.3 with PKCE's
 * code_verifier, RFC 7636): the client authenticates with HTTP Basic (client_secret_basic, the
 * default) or form fields (client_secret_post), or not at all as a public client. The answer must
 * carry an `id_token`. What the provider says is never repeated: an OAuth error code from the
 * standard list at most.
 */
import type { DashboardLogin } from './setup.js';
import { IdentityProviderUnavailableError, LoginRefusedError } from './errors.js';

const TIMEOUT_MS = 10_000;

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before they are joined for Basic. */
const formEncode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');

/** Exchanges an authorization code for the ID token. */
export async function exchangeCode(
  login: DashboardLogin,
  code: string,
  verifier: string,
): Promise<string> {
  const issuer = login.issuer.name;
  const unavailable = (why: string, cause?: unknown) =>
    new IdentityProviderUnavailableError(
      `the token endpoint of identity provider ${issuer} ${why}; try signing in again shortly`,
      issuer,
      { cause },
    );
  const endpoint = (await login.issuer.metadata()).tokenEndpoint;
  if (!endpoint) throw unavailable('is not named in its discovery document');
  const { clientId, redirectUrl, tokenEndpointAuth } = login.config;
  let clientSecret: string | undefined;
  try {
    clientSecret = login.clientSecret();
  } catch (cause) {
    throw unavailable('cannot be called: the API cannot read its client secret', cause);
  }
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUrl,
    code_verifier: verifier,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (clientSecret !== undefined && tokenEndpointAuth === 'client_secret_basic') {
    const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', clientId);
    if (clientSecret !== undefined) form.set('client_secret', clientSecret);
  }

  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: form,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (cause) {
    throw unavailable('cannot be reached', cause);
  }
  const body = (await response.json().catch(() => undefined)) as
    Record<string, unknown> | undefined;
  if (response.status === 400 || response.status === 401) {
    const error =
      typeof body?.error === 'string' && /^[a-z_]{1,40}$/.test(body.error) ? body.error : 'refused';
    throw new LoginRefusedError(
      `identity provider ${issuer} did not accept the authorization code (${error}); start again at ${login.cookies.basePath}/ui/auth/login`,
    );
  }
  if (response.status !== 200) throw unavailable(`answered HTTP ${response.status}`);
  if (typeof body?.id_token !== 'string') throw unavailable('answered without an id_token');
  return body.id_token;
}
