import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Why a notificationUrl is refused, or undefined when it is acceptable: absolute https, with a host that is not
 * loopback, private, link-local or otherwise reserved, unless the operator allows insecure URLs (local use).
 * Names are checked for what they say here; where they resolve is checked again at each delivery.
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
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    return 'must not name a local host';
  }
  if (isIP(host) && !isPublicAddress(host)) return 'must not point at a loopback, private or reserved address';
  if (!isIP(host) && !host.includes('.')) return 'must name a fully qualified host';
  return undefined;
}

export function isPublicAddress(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}
