/**
 * The dashboard's cookies, sealed with jose (JWE, `dir` + A256GCM: encrypted and tamper-proof):
 * the sign-in cookie (state, nonce, PKCE verifier, where to return; 10 minutes, SameSite=Lax so it
 * survives the identity provider's redirect back) and the session cookie (the claims the rules
 * read, and an expiry; SameSite=Strict). Both are HttpOnly, and Secure when the API's public URL
 * is https. Their keys are derived (HKDF-SHA256) from the operator's `sessionKey`, or from random
 * bytes generated at start, one key per cookie so neither can stand in for the other.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose';
import { generateCookie } from 'hono/cookie';

export type SealedKind = 'session' | 'login';

/** What the sign-in cookie carries between /ui/auth/login and /ui/auth/callback. */
export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  /** A path under the dashboard to return to after signing in. */
  next: string;
}

/** What the session cookie carries: whose claims, from which issuer (by name). */
export interface SessionContent {
  issuer: string;
  claims: Record<string, unknown>;
}

export class CookieSealer {
  private readonly keys: Record<SealedKind, Uint8Array>;

  /** `material`: the operator's session key (32+ characters), or undefined for a random one. */
  constructor(material?: string) {
    const ikm = material !== undefined ? Buffer.from(material, 'utf8') : randomBytes(32);
    const derive = (kind: SealedKind) =>
      new Uint8Array(hkdfSync('sha256', ikm, 'canary-engine', `dashboard ${kind} cookie`, 32));
    this.keys = { session: derive('session'), login: derive('login') };
  }

  async seal(kind: SealedKind, payload: JWTPayload, ttlSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new EncryptJWT(payload)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setAudience(`canary-engine ${kind}`)
      .encrypt(this.keys[kind]);
  }

  /** The payload of a sealed cookie, or undefined when it is forged, for the other kind, or expired. */
  async open(kind: SealedKind, sealed: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtDecrypt(sealed, this.keys[kind], {
        audience: `canary-engine ${kind}`,
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
        requiredClaims: ['exp'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }
}

/** Names, paths and flags of the two cookies, from the operator's redirect URL. */
export class DashboardCookies {
  readonly secure: boolean;
  /** The path prefix the API is served under publicly ('' at the root). */
  readonly basePath: string;
  readonly sessionName: string;
  readonly loginName: string;

  constructor(redirectUrl: string) {
    const url = new URL(redirectUrl);
    this.secure = url.protocol === 'https:';
    this.basePath = url.pathname.replace(/\/ui\/auth\/callback$/, '');
    // __Host- binds the session cookie to this exact origin (Secure, Path=/, no Domain)
    this.sessionName =
      this.secure && this.basePath === '' ? '__Host-canary-session' : 'canary-session';
    this.loginName = this.secure ? '__Secure-canary-login' : 'canary-login';
  }

  session(value: string, maxAgeSeconds: number): string {
    return generateCookie(this.sessionName, value, {
      path: `${this.basePath}/`,
      httpOnly: true,
      sameSite: 'Strict',
      secure: this.secure,
      maxAge: maxAgeSeconds,
    });
  }

  login(value: string, maxAgeSeconds: number): string {
    return generateCookie(this.loginName, value, {
      path: `${this.basePath}/ui/auth/`,
      httpOnly: true,
      sameSite: 'Lax',
      secure: this.secure,
      maxAge: maxAgeSeconds,
    });
  }

  clearSession(): string {
    return this.session('', 0);
  }

  clearLogin(): string {
    return this.login('', 0);
  }
}
