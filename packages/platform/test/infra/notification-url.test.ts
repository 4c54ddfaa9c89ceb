import { describe, expect, it } from 'vitest';
import {
  isPublicAddress,
  notificationUrlProblem,
  resolvedAddressProblem,
} from '../../src/infra/net/notification-url.js';

describe('notificationUrl hosts', () => {
  it('judges IPv6 forms that embed an IPv4 address by it, or as reserved', () => {
    for (const address of [
      '::7f00:1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::a00:1',
      '::808:808',
      '::',
      '::1',
      '64:ff9b::7f00:1',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
    }
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
    expect(isPublicAddress('2606:4700::1111')).toBe(true);
  });

  it('normalises trailing dots and brackets before judging', () => {
    expect(notificationUrlProblem('https://LOCALHOST../x', false)).toMatch(/local host/);
    expect(notificationUrlProblem('https://vm./x', false)).toMatch(/fully qualified/);
    expect(notificationUrlProblem('https://[::127.0.0.1]/x', false)).toMatch(/loopback/);
    expect(notificationUrlProblem('https://shop.example.com./x', false)).toBeUndefined();
  });

  it('refuses a name that resolves only to forbidden addresses, and lets a name that does not resolve through', async () => {
    expect(await resolvedAddressProblem('https://localhost/x')).toMatch(/resolves only to loopback/); // from /etc/hosts
    expect(await resolvedAddressProblem('https://no-such-host.invalid/x')).toBeUndefined();
    expect(await resolvedAddressProblem('https://192.0.2.1/x')).toBeUndefined(); // literals are judged elsewhere
  });
});
