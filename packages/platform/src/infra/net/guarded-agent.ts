import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { isPublicAddress } from './notification-url.js';

export class AddressRefused extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a loopback, private or reserved address`);
  }
}

/**
 * An HTTP agent that connects only to public addresses unless insecure targets are allowed: each name is
 * resolved, every address checked, and the connection made to the address that was checked (no second look-up
 * for a DNS rebinding to exploit). Literal IPs are checked by `checkLiteral` before the request.
 */
export function guardedAgent(opts: { allowPrivate: boolean; connectTimeoutMs: number }): Agent {
  const lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses;
      const refused = opts.allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(new AddressRefused(hostname, refused.address), '', 0);
      if (options.all) return callback(null, list, 0);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return new Agent({ connect: { lookup, timeout: opts.connectTimeoutMs }, keepAliveTimeout: 10_000 });
}

/** The same rule for a URL whose host is an IP literal (no look-up happens for those). */
export function literalAddressProblem(url: URL, allowPrivate: boolean): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || !isIP(host) || isPublicAddress(host)) return undefined;
  return new AddressRefused(host, host).message;
}
