import { describe, expect, test } from "bun:test";
import { hostName, hostPolicy, parseAllowedHosts } from "./hosts.ts";

describe("hostPolicy", () => {
  test("loopback names and addresses pass as Host and Origin; other names do not", () => {
    const p = hostPolicy({ bound: "127.0.0.1" });
    for (const h of ["localhost", "localhost:8080", "127.0.0.1:1", "127.9.9.9", "[::1]:8443", "app.localhost", "LocalHost.", null]) expect(p.allowsHost(h)).toBe(true);
    for (const h of ["rebind.evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example", "192.168.1.5", "", "a b", "x@127.0.0.1", "127.0.0.1/x"]) {
      expect(p.allowsHost(h)).toBe(false);
    }
    expect(p.allowsOrigin("http://localhost:3000")).toBe(true);
    expect(p.allowsOrigin("https://[::1]:8443")).toBe(true);
    for (const o of ["https://example.com", "http://127.0.0.1.example.com", "null", "file://", "chrome-extension://abc"]) expect(p.allowsOrigin(o)).toBe(false);
  });

  test("the bound address passes; a wildcard bind allows this machine's own addresses only", () => {
    expect(hostPolicy({ bound: "192.168.1.5" }).allowsHost("192.168.1.5:8080")).toBe(true);
    expect(hostPolicy({ bound: "192.168.1.5" }).allowsOrigin("http://192.168.1.5:8080")).toBe(true);
    expect(hostPolicy({ bound: "::1" }).allowsHost("[::1]:80")).toBe(true);
    expect(hostPolicy({ bound: "sona.lan" }).allowsHost("SONA.lan:80")).toBe(true);
    const any = hostPolicy({ bound: "0.0.0.0" });
    expect(any.allowsHost("0.0.0.0")).toBe(false);
    expect(any.allowsHost("203.0.113.7")).toBe(false); // TEST-NET-3: on no interface of this machine
    expect(any.allowsHost("evil.example")).toBe(false);
  });

  test("allowed names: exact, .domain for subdomains, * for any", () => {
    const p = hostPolicy({ allowed: parseAllowedHosts(["sona.example.org, .corp.example", undefined, " OTHER.example "]) });
    for (const h of ["sona.example.org", "other.example:8080", "corp.example", "a.b.corp.example"]) expect(p.allowsHost(h)).toBe(true);
    for (const h of ["evil.example", "xcorp.example", "sona.example.org.evil.example"]) expect(p.allowsHost(h)).toBe(false);
    expect(hostPolicy({ allowed: ["*"] }).allowsHost("whatever.example")).toBe(true);
  });

  test("hostName normalises as a URL does", () => {
    expect(hostName("Example.COM.:80")).toBe("example.com");
    expect(hostName("http://[::1]:3000")).toBe("[::1]");
    expect(hostName("bad host")).toBeNull();
  });
});
