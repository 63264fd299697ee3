// The address a throttle counts: IPv4 as it is, IPv6 by its /64, because one subscriber or
// host usually holds a whole /64 and could otherwise rotate through 2^64 addresses.
import ipaddr from "ipaddr.js";

export function throttleAddress(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const parsed = ipaddr.parse(ip);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  // ::ffff:192.0.2.1 is an IPv4 peer seen through a dual-stack socket.
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const prefix = v6.parts.slice(0, 4).map((p) => p.toString(16));
  return `${prefix.join(":")}::/64`;
}
