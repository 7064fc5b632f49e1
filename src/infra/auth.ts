import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { Caller, ROLES, type Principal, type Role } from '../services/common/caller.js';
import type { AuthConfig } from './config.js';
import type { Logger } from './logger.js';

/** Turns an `Authorization` header value into a Caller. Never throws. */
export type Authenticator = (authorization: string | undefined) => Promise<Caller>;

export function createAuthenticator(config: AuthConfig, logger: Logger): Authenticator {
  const key: Uint8Array | JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl))
    : new TextEncoder().encode(config.jwtSecret);
  const algorithms = config.jwksUrl ? undefined : ['HS256'];
  const verified = new VerifiedTokens();

  return async (authorization) => {
    if (authorization === undefined || authorization.trim() === '') return Caller.anonymous();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return Caller.rejected('expected "Bearer <token>"');
    const known = verified.get(match[1]);
    if (known) return Caller.of(known);
    try {
      const { payload } = await jwtVerify(match[1], key as Uint8Array, { algorithms, requiredClaims: ['exp', 'sub'] });
      const principal = principalFrom(payload);
      if (typeof principal === 'string') return Caller.rejected(principal);
      verified.put(match[1], principal, payload.exp! * 1000);
      return Caller.of(principal);
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || isFetchFailure(error)) {
        logger.warn({ err: error }, 'JWKS unreachable; cannot verify token');
        return Caller.unverifiable();
      }
      if (error instanceof joseErrors.JOSEError) return Caller.rejected(error.code);
      return Caller.rejected('malformed token');
    }
  };
}

/**
 * Tokens this server verified, until they expire: a client sends the same token with
 * every request, and checking its signature each time was a tenth of the CPU of a seat
 * hold (bench/RESULTS.md). Only accepted tokens are kept, by their exact text.
 */
class VerifiedTokens {
  private readonly tokens = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(private readonly capacity = 10_000) {}

  get(token: string): Principal | undefined {
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.principal;
    this.tokens.delete(token);
    return undefined;
  }

  put(token: string, principal: Principal, expiresAt: number): void {
    this.tokens.set(token, { principal, expiresAt });
    while (this.tokens.size > this.capacity) this.tokens.delete(this.tokens.keys().next().value!);
  }
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && /fetch/i.test(error.message);
}

/** The principal the claims describe, or why they describe none. */
function principalFrom(payload: JWTPayload): Principal | string {
  const { sub, role, hotels, venues } = payload as JWTPayload & { role?: unknown; hotels?: unknown; venues?: unknown };
  if (typeof sub !== 'string' || sub === '') return 'missing sub claim';
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    return 'role claim must be guest, staff or admin';
  }
  if (hotels !== undefined && !(Array.isArray(hotels) && hotels.every((h) => typeof h === 'string'))) {
    return 'hotels claim must be an array of hotel ids';
  }
  if (venues !== undefined && !(Array.isArray(venues) && venues.every((v) => typeof v === 'string'))) {
    return 'venues claim must be an array of venue ids';
  }
  return {
    sub,
    role: role as Role,
    hotels: (hotels as string[] | undefined) ?? [],
    venues: (venues as string[] | undefined) ?? [],
  };
}

export interface TokenClaims {
  sub: string;
  role: Role;
  hotels?: string[];
  venues?: string[];
}

/** Mints an HS256 token, for development (`npm run token`) and tests. */
export function signToken(secret: string, claims: TokenClaims, expiresIn = '12h'): Promise<string> {
  const { sub, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
