import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * The client's address: the socket's peer, or, when that peer is a trusted proxy, the
 * address it forwarded (X-Forwarded-For read from the right, skipping trusted proxies,
 * so a client cannot choose its own key by sending the header itself).
 */
export function createClientAddress(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  const isTrusted = (address: string) => {
    const version = isIP(address);
    return version !== 0 && trusted.check(address, version === 6 ? 'ipv6' : 'ipv4');
  };
  return (req) => {
    let address = normalise(req.socket.remoteAddress ?? 'unknown');
    if (trustedProxies.length === 0) return address;
    const header = req.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => normalise(hop.trim()))
      .filter((hop) => hop !== '');
    while (isTrusted(address) && forwarded.length > 0) {
      const next = forwarded.pop()!;
      if (isIP(next) === 0) break;
      address = next;
    }
    return address;
  };
}

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d: one client, one key. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Whether TRUSTED_PROXY's entries are addresses or CIDR ranges (for the config check). */
export function isAddressOrRange(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits >= 0 && bits <= (version === 6 ? 128 : 32);
}
