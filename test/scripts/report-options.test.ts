// npm run report's command line (scripts/lib/report/options.mjs): the new outputs and their refusals.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readOptions, UsageError } from "../../scripts/lib/report/options.mjs";

const ROOT = "/repo";

describe("readOptions", () => {
  it("reads --html, --csv, --page-size and --suggest (which sets the tenant)", () => {
    expect(readOptions(["--html", "out/r.html", "--days", "7"], ROOT)).toMatchObject({ html: path.resolve("out/r.html"), days: 7, csv: undefined });
    expect(readOptions(["--csv", "records", "--page-size", "500", "--tenant", "maia"], ROOT)).toMatchObject({ csv: "records", pageSize: 500, tenant: "maia" });
    expect(readOptions(["--csv", "inventory"], ROOT)).toMatchObject({ csv: "inventory", pageSize: 10_000 });
    expect(readOptions(["--suggest", "maia"], ROOT)).toMatchObject({ suggest: "maia", tenant: "maia" });
  });

  it.each([
    [["--csv", "users"], /--csv: one of records, inventory/],
    [["--csv", "records", "--page-size", "0"], /--page-size must be a whole number from 1 to 100000/],
    [["--suggest", "../etc"], /--suggest: not a tenant id/],
    [["--suggest", "maia", "--tenant", "inai"], /name two tenants/],
    [["--json", "--html", "r.html"], /choose one of --json, --html/],
    [["--csv", "records", "--suggest", "maia"], /choose one of --csv, --suggest/],
    [["--html", " "], /--html needs a file name/],
  ])("refuses %j", (argv, message) => {
    expect(() => readOptions(argv, ROOT)).toThrow(UsageError);
    expect(() => readOptions(argv, ROOT)).toThrow(message);
  });
});
