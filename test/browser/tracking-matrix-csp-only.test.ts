// The tracking matrix (./tracking-matrix.ts) with MARKUP_MODE=csp-only: nothing parsed, the CSP alone must hold.
import { trackingMatrix } from "./tracking-matrix";

trackingMatrix("csp-only");
