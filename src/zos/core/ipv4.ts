// IPv4 arithmetic for private networks: CIDRs as [base, prefix] with 32-bit unsigned integers.
import { z } from 'zod';

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipPattern = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`);

export const ipv4Schema = z.string().regex(ipPattern, 'an IPv4 address (a.b.c.d)');
export const cidrSchema = z.string().refine((text) => parseCidr(text) !== undefined, 'an IPv4 network a.b.c.d/n with no host bits set');

export function parseIp(text: string): number | undefined {
  if (!ipPattern.test(text)) return undefined;
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffff_ffff << (32 - prefix)) >>> 0;
}

/** a.b.c.d/n with no host bits set; undefined otherwise. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, bits, extra] = text.split('/');
  if (ip === undefined || bits === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const base = parseIp(ip);
  const prefix = Number(bits);
  if (base === undefined || prefix > 32 || ((base & ~maskOf(prefix)) >>> 0) !== 0) return undefined;
  return { base, prefix };
}

export function contains(cidr: Cidr, ip: number): boolean {
  return ((ip & maskOf(cidr.prefix)) >>> 0) === cidr.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(prefix)) >>> 0) === ((b.base & maskOf(prefix)) >>> 0);
}

export function broadcast(cidr: Cidr): number {
  return (cidr.base | ~maskOf(cidr.prefix)) >>> 0;
}

/** The node's side of a subnet (the bridge and default route): its first host address. */
export function gatewayOf(cidr: Cidr): number {
  return cidr.base + 1;
}

/** Usable by a container: inside, not the network, gateway or broadcast address. */
export function isHostAddress(cidr: Cidr, ip: number): boolean {
  return contains(cidr, ip) && ip !== cidr.base && ip !== gatewayOf(cidr) && ip !== broadcast(cidr);
}
