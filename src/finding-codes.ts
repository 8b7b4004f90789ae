/** The shape of one entry in a domain's table of finding codes. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface FindingCodeInfo {
  /** Default severity; `info` never fails a run. */
  readonly severity: Severity;
  /** One line for tables, SARIF rule names and the README. */
  readonly title: string;
  /** What it means and what to do. */
  readonly help: string;
}

/** Lets each domain declare its codes with their literal names kept. */
export function defineCodes<const T extends Record<string, FindingCodeInfo>>(codes: T): T {
  return codes;
}
