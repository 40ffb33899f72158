// Types of scripts/asc-output.mjs (for its tests).
export function isDependencyWarning(block: string): boolean;
export class DiagnosticFilter {
  constructor(out: (text: string) => void, opts?: { verbose?: boolean });
  /** Diagnostics not printed (json-as's own warnings). */
  hidden: number;
  write(chunk: string | Buffer): void;
  end(): void;
}
