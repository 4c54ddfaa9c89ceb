import dns from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Why a notificationUrl is refused, or undefined when it is acceptable: absolute https, with a host that is not
 * loopback, private, link-local or otherwise reserved, unless the operator allows insecure URLs (local use).
 * Hosts are compared as normalised: lower case, without trailing dots (`localhost.`) or IPv6 brackets; an IPv6
 * address that embeds an IPv4 one (IPv4-mapped `::ffff:…`, IPv4-compatible `::…`) is judged as reserved or by its
 * IPv4 address. Where a name resolves is checked by resolvedAddressProblem, and again at each delivery.
 */
export function notificationUrlProblem(value: string, allowInsecure: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (allowInsecure) return undefined;
  if (url.protocol !== 'https:') return 'must be an https URL (plain http is allowed only in local development)';
  const host = normalisedHost(url);
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    return 'must not name a local host';
  }
  if (isIP(host) && !isPublicAddress(host)) return 'must not point at a loopback, private or reserved address';
  if (!isIP(host) && !host.includes('.')) return 'must name a fully qualified host';
  return undefined;
}

/** The host as it is judged: lower case, without IPv6 brackets or trailing dots. */
export function normalisedHost(url: URL): string {
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.+$/, '');
}

export function isPublicAddress(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    else if (v6.parts.slice(0, 6).every((p) => p === 0)) return false; // ::/96, IPv4-compatible (deprecated), :: and ::1
  }
  return parsed.range() === 'unicast';
}

/**
 * Why a notificationUrl's host name is refused for where it resolves: when every address it has is loopback,
 * private or reserved. A name that does not resolve (yet), or not in time, is let through: delivery checks again.
 */
export async function resolvedAddressProblem(value: string, timeoutMs = 2000): Promise<string | undefined> {
  const host = normalisedHost(new URL(value));
  if (isIP(host)) return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const addresses = await Promise.race([dns.promises.lookup(host, { all: true }).catch(() => undefined), timeout]);
  clearTimeout(timer);
  if (!addresses || addresses.length === 0 || addresses.some((a) => isPublicAddress(a.address))) return undefined;
  return `must not name a host that resolves only to loopback, private or reserved addresses (${host} → ${addresses[0]!.address})`;
}
