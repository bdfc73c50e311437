/** The consent-derived Content-Security-Policy and its report endpoint. */
export {
  CSP_REPORT_GROUP,
  CSP_REPORT_PATH,
  DEFAULT_REPORT_SAMPLE,
  INERT_CSP,
  REPORTING_ENDPOINTS,
  allowedSources,
  buildCsp,
  cspHeaderName,
  reportSample,
  sampleReport,
  type CspHeader,
  type CspOptions,
} from "./build";
export { MAX_VIOLATIONS_PER_REQUEST, parseCspReports, reportFormat, type CspViolation, type ParseResult, type ReportFormat } from "./report";
export { MAX_REPORT_BYTES, REPORT_BUDGET, REPORT_WINDOW_MS, handleCspReport, type ReportOptions, type ViolationRecord } from "./endpoint";
