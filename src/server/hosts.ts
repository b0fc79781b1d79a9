// Which host names this server answers to, against DNS rebinding. A page on evil.example can make
// its own name resolve to 127.0.0.1; the browser then treats the runner as same-origin and sends
// `Host: evil.example` and `Origin: http://evil.example`. So the Host header is checked against an
// allow-list (never trusted), and a browser's Origin is checked against the same list (never
// compared with Host, which the attacker chooses). The list: loopback names and addresses, the
// address the server is bound to (every interface address when bound to 0.0.0.0 or ::), and the
// names given with --allowed-host / SONA_ALLOWED_HOSTS (a reverse proxy's public name).
import { networkInterfaces } from "node:os";

export interface HostPolicy {
  /** the Host header (absent: allowed, no browser omits it) */
  allowsHost(host: string | null): boolean;
  /** a browser's Origin header */
  allowsOrigin(origin: string): boolean;
}

export interface HostPolicyOptions {
  /** the address the server listens on */
  bound?: string;
  /** extra names: `name`, `.example.com` (that domain and every subdomain), or `*` (any) */
  allowed?: readonly string[];
}

const LOOPBACK = /^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)*\.localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;
const WILDCARD = new Set(["0.0.0.0", "[::]", "[::0]", ""]);

/** The host name of a Host header or an origin, normalised as a URL does it; null if malformed. */
export function hostName(hostOrOrigin: string): string | null {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(hostOrOrigin) ? hostOrOrigin : `http://${hostOrOrigin}`);
    if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "")) return null;
    return url.hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return null;
  }
}

/** `--allowed-host a,b --allowed-host c` and SONA_ALLOWED_HOSTS="a, b" into one list. */
export function parseAllowedHosts(values: ReadonlyArray<string | undefined>): string[] {
  return values.flatMap((v) => (v ?? "").split(",")).map((s) => s.trim().toLowerCase()).filter(Boolean);
}

export function hostPolicy(options: HostPolicyOptions = {}): HostPolicy {
  const names = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const entry of options.allowed ?? []) {
    if (entry === "*") any = true;
    else if (entry.startsWith(".")) suffixes.push(entry.replace(/\.$/, ""));
    else {
      const name = hostName(entry);
      if (name) names.add(name);
    }
  }
  const bound = options.bound === undefined ? null : hostName(options.bound.includes(":") && !options.bound.startsWith("[") ? `[${options.bound}]` : options.bound);
  const wildcard = bound !== null && WILDCARD.has(bound);
  if (bound && !wildcard) names.add(bound);

  const allowsName = (name: string | null): boolean => {
    if (name === null) return false;
    if (any || LOOPBACK.test(name) || names.has(name)) return true;
    if (suffixes.some((s) => name === s.slice(1) || name.endsWith(s))) return true;
    // bound to every interface: the machine's own addresses, read now (DHCP may change them)
    return wildcard && interfaceAddresses().has(name);
  };
  return {
    allowsHost: (host) => host === null || allowsName(hostName(host)),
    allowsOrigin: (origin) => /^https?:\/\//i.test(origin) && allowsName(hostName(origin)),
  };
}

function interfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(a.family === "IPv6" ? `[${a.address.split("%")[0]!.toLowerCase()}]` : a.address);
  }
  return out;
}
