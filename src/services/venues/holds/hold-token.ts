import { randomBytes } from 'node:crypto';
import { isId } from '../../../entities/id.js';

/**
 * Hold tokens name their performance, so every operation on a token finds the
 * performance's state (and its Redis Cluster slot) without a lookup: `<performanceId>.<secret>`.
 * The secret (144 random bits) is what makes the token the holder's alone.
 */
export function newHoldToken(performanceId: string): string {
  return `${performanceId}.${randomBytes(18).toString('base64url')}`;
}

/** The performance a token belongs to, or undefined when it is not a token this server made. */
export function performanceOf(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot < 0 || token.length > 80) return undefined;
  const performanceId = token.slice(0, dot);
  return isId(performanceId) && /^[A-Za-z0-9_-]{24}$/.test(token.slice(dot + 1)) ? performanceId : undefined;
}
