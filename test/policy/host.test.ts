import { describe, expect, it } from "vitest";
import { normalizeHost } from "../../src/policy/registry";

describe("normalizeHost", () => {
  it.each([
    ["maia.opendatasoft.com", "maia.opendatasoft.com"],
    ["Maia.OpenDataSoft.COM", "maia.opendatasoft.com"],
    ["maia.opendatasoft.com.", "maia.opendatasoft.com"],
    ["maia.opendatasoft.com:443", "maia.opendatasoft.com"],
    ["MAIA.opendatasoft.com.:8080", "maia.opendatasoft.com"],
    ["maia.opendatasoft.com:", "maia.opendatasoft.com"],
    ["localhost", "localhost"],
    ["localhost:8787", "localhost"],
    ["127.0.0.1:8787", "127.0.0.1"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["_dmarc.example.org", "_dmarc.example.org"],
    ["[::1]", "[::1]"],
    ["[::1]:8787", "[::1]"],
    ["[FE80::1]", "[fe80::1]"],
    ["[::ffff:127.0.0.1]:80", "[::ffff:127.0.0.1]"],
    [`${"a".repeat(63)}.com`, `${"a".repeat(63)}.com`],
    [`${"a.".repeat(126)}a`, `${"a.".repeat(126)}a`], // 253 characters
  ])("%s -> %s", (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  it.each([
    [null],
    [undefined],
    [""],
    ["."],
    ["maia..opendatasoft.com"],
    [".maia.opendatasoft.com"],
    ["maia.opendatasoft.com.."],
    ["maia opendatasoft.com"],
    [" maia.opendatasoft.com"],
    ["user@maia.opendatasoft.com"],
    ["maia.opendatasoft.com/path"],
    ["maia.opendatasoft.com\u0000"],
    ["maia.opendatasoft.com\r\nX: y"],
    ["maia.opendatasoft.com:99999"],
    ["maia.opendatasoft.com:80:80"],
    ["maia.opendatasoft.com:http"],
    ["-maia.opendatasoft.com"],
    ["maia-.opendatasoft.com"],
    ["mäia.opendatasoft.com"],
    [`${"a".repeat(64)}.com`],
    [`${"a.".repeat(127)}a`], // 255 characters
    ["::1"],
    ["[::1"],
    ["[]"],
    ["[1]"],
    ["[::g]"],
    ["[::1%25eth0]"],
    ["[::1]x"],
  ])("rejects %j", (input) => {
    expect(normalizeHost(input)).toBeNull();
  });
});
