import { randomBytes } from 'node:crypto';
import { isId } from '../../../entities/id.js';

/**
 * Hold tokens name their offering (a performance, an exhibition, a restaurant), so every
 * operation on a token finds the offering's state (and its Redis Cluster slot) without a
 * lookup: `<offeringId>.<secret>`. The secret (144 random bits) is what makes the token
 * the holder's alone.
 */
export function newHoldToken(offeringId: string): string {
  return `${offeringId}.${randomBytes(18).toString('base64url')}`;
}

/** The offering a token belongs to, or undefined when it is not a token this server made. */
export function offeringOf(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot < 0 || token.length > 80) return undefined;
  const offeringId = token.slice(0, dot);
  return isId(offeringId) && /^[A-Za-z0-9_-]{24}$/.test(token.slice(dot + 1)) ? offeringId : undefined;
}
