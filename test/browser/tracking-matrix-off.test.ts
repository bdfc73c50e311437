// The tracking matrix (./tracking-matrix.ts) with CSP_MODE=off: the rewriter alone must hold.
import { trackingMatrix } from "./tracking-matrix";

trackingMatrix("off");
