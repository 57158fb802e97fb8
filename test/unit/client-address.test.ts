import { expect, test } from "vitest";
import { rateLimitKey } from "../../src/http/client-address.ts";

test("IPv4 counts per address, IPv4-mapped IPv6 as IPv4", () => {
  expect(rateLimitKey("203.0.113.7")).toBe("203.0.113.7");
  expect(rateLimitKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
});

test("IPv6 counts per /64: one household's addresses share a limit", () => {
  expect(rateLimitKey("2001:db8:0:12:aaaa::1")).toBe("2001:db8:0:12::/64");
  expect(rateLimitKey("2001:db8:0:12:bbbb:cccc:dddd:eeee")).toBe("2001:db8:0:12::/64");
  expect(rateLimitKey("2001:DB8::1")).toBe("2001:db8:0:0::/64");
  expect(rateLimitKey("::1")).toBe("0:0:0:0::/64");
});
