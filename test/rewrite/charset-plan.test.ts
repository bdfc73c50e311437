// charsetPlan keeps the plan of each label it resolved (a TextDecoder per page cost ~18 µs): the
// kept plans must be the same answers, shared read-only, and labels past the bound still resolve.
import { describe, expect, it } from "vitest";
import { charsetPlan } from "../../src/rewrite/document";

describe("charsetPlan", () => {
  it("gives the same, frozen plan for a label seen before", () => {
    const a = charsetPlan("utf-8");
    expect(a).toEqual({ kind: "label", encoding: "utf-8" });
    expect(charsetPlan("utf-8")).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("resolves every label as the Encoding Standard does, past the kept ones too", () => {
    for (let i = 0; i < 100; i++) expect(charsetPlan(`x-unknown-${i}`)).toEqual({ kind: "none" });
    expect(charsetPlan(" Latin1 ")).toEqual({ kind: "label", encoding: "windows-1252" });
    expect(charsetPlan("UTF-16")).toEqual({ kind: "transcode", encoding: "utf-16le" });
    expect(charsetPlan("iso-2022-kr")).toEqual({ kind: "replacement" });
    expect(charsetPlan(undefined)).toEqual({ kind: "none" });
  });
});
