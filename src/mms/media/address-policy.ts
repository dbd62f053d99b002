import * as ipaddr from 'ipaddr.js';

/**
 * Only globally routable unicast addresses may be fetched by Plivo on our behalf (and by our
 * preflight): ipaddr.js classifies loopback, private, link-local (cloud metadata), CGNAT,
 * multicast, unspecified, reserved and the IPv6 ranges (ULA, link-local, NAT64, 6to4, Teredo…)
 * as something else. IPv4-mapped IPv6 is unwrapped first, so ::ffff:127.0.0.1 is loopback.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'unicast';
}

export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''));
}
