/** Occupancy-based pricing and sell limits: pure functions, shared by search, reserve and the inventory views. */

export interface PricingRuleValue {
  minOccupancyPercent: number;
  adjustmentPercent: number;
}

/** The most that may be sold: floor(total * (100 + overbookingPercent) / 100). */
export function sellLimit(total: number, overbookingPercent: number): number {
  return Math.floor((total * (100 + overbookingPercent)) / 100);
}

/**
 * What one room costs tonight: the base rate adjusted by the rule with the highest
 * minOccupancyPercent <= 100 * reserved / total (none: the base rate), rounded half-up
 * to the minor unit. Integer arithmetic only. `rules` may come in any order.
 */
export function nightlyRate(
  baseMinor: number,
  reserved: number,
  total: number,
  rules: readonly PricingRuleValue[],
): number {
  let applied: PricingRuleValue | undefined;
  for (const rule of rules) {
    // rule.min <= 100 * reserved / total, without dividing
    const reached = total > 0 ? rule.minOccupancyPercent * total <= 100 * reserved : rule.minOccupancyPercent === 0;
    if (reached && (!applied || rule.minOccupancyPercent > applied.minOccupancyPercent)) applied = rule;
  }
  if (!applied) return baseMinor;
  // adjustmentPercent >= -90 keeps the product non-negative, so floor(x + 1/2) is half-up.
  return Math.floor((baseMinor * (100 + applied.adjustmentPercent) + 50) / 100);
}
