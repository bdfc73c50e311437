// Types of options.mjs, for the TypeScript tests.
export interface ReportOptions {
  help: boolean;
  remote: boolean;
  persistTo: string;
  tenant?: string;
  days: number;
  limit: number;
  pageSize: number;
  record?: string;
  json: boolean;
  html?: string;
  csv?: "records" | "inventory";
  suggest?: string;
}
export declare const USAGE: string;
export declare class UsageError extends Error {}
export declare function readOptions(argv: string[], root: string): ReportOptions;
