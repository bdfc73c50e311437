export declare const REQUIRED_SECRETS: string[];
export interface ParsedRoute {
  pattern: string;
  host: string;
  path: string;
  customDomain: boolean;
  zone?: string;
}
export declare function parseRoute(route: unknown): ParsedRoute | null;
export interface DeployCheckInput {
  config: Record<string, any>;
  tenants: Array<{ id: string; hosts: string[]; mode?: string }>;
  readme: string;
  exists?: (path: string) => boolean;
}
export declare function checkDeployment(input: DeployCheckInput): { errors: string[]; warnings: string[]; notes: string[] };
