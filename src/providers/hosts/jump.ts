// Jump hosts as OpenSSH's ProxyJump writes them: "[user@]host[:port]" ("[::1]:22" for an
// IPv6 address, "ssh://" allowed), several comma-separated, contacted in that order.

export interface JumpHop {
  user?: string;
  host: string;
  port: number;
}

const HOP = /^(?:ssh:\/\/)?(?:([^@\s/:]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/;

/** The hops of a ProxyJump value, or a message saying what is wrong with it. */
export function parseJump(text: string): JumpHop[] | string {
  const parts = text.split(',').map((p) => p.trim());
  if (!text.trim() || parts.some((p) => !p)) return 'must be "[user@]host[:port]", several comma-separated';
  const hops: JumpHop[] = [];
  for (const part of parts) {
    const m = HOP.exec(part);
    if (!m) return `${JSON.stringify(part)} is not "[user@]host[:port]"`;
    const port = m[3] === undefined ? 22 : Number(m[3]);
    if (port < 1 || port > 65535) return `${JSON.stringify(part)}: port ${m[3]} is not 1-65535`;
    hops.push({ ...(m[1] ? { user: m[1] } : {}), host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port });
  }
  return hops;
}
