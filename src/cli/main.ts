import { InterruptedError, RmmVerifyError, errorMessage } from '../errors.ts';
import { ExitCode } from '../findings.ts';
import { escapeText } from '../report/escape-text.ts';
import { VERSION } from '../version.ts';
import { processIo, write, type CliIo } from './io.ts';
import { closest } from './suggest.ts';

export interface Command {
  /** Runs the command and returns its exit code (0 ok, 1 failed, 2 input error). */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * Commands load lazily so `rmm-verify --version` pays only for this file (cold start goal).
 * Each entry: one line of help and the module that implements it.
 */
const COMMANDS: Record<string, { readonly summary: string; readonly load: () => Promise<Command> }> = {
  verify: {
    summary: 'verify artifacts against a pinned, signed manifest',
    load: () => import('./verify.ts'),
  },
  pin: { summary: 'add artifacts to an unsigned manifest (never signs)', load: () => import('./pin.ts') },
  manifest: { summary: 'sign | verify | lint a manifest', load: () => import('./manifest.ts') },
  keys: { summary: 'generate | list signing keys and the trust root', load: () => import('./keys.ts') },
  authenticode: {
    summary: 'inspect Authenticode signatures of PE/MSI files',
    load: () => import('./authenticode.ts'),
  },
  attest: { summary: 'verify Sigstore bundles and build provenance', load: () => import('./attest.ts') },
  trust: { summary: 'update the Sigstore trusted root through TUF', load: () => import('./trust.ts') },
  sbom: { summary: 'validate | diff | check SBOMs (CycloneDX, SPDX)', load: () => import('./sbom.ts') },
  drift: { summary: 'scan fleet inventories for version drift', load: () => import('./drift.ts') },
  demo: { summary: 'run the whole flow on the bundled sample data', load: () => import('./demo.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: rmm-verify <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    "Run 'rmm-verify <command> --help' for a command's options.",
    'Exit codes: 0 all checks passed, 1 verification failed, 2 usage or input error.',
  ].join('\n');
}

/**
 * `rmm-verify verify: error: …` once, even when the message already starts with its command
 * (`verify: …`, `manifest sign: …`): the message's own command is used, never printed twice.
 */
export function errorLine(name: string, message: string): string {
  const own = new RegExp(`^(${name}(?: [a-z][a-z-]*)?): `).exec(message);
  return own
    ? `rmm-verify ${own[1] ?? name}: error: ${message.slice(own[0].length)}`
    : `rmm-verify ${name}: error: ${message}`;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    write(io.stdout, VERSION);
    return ExitCode.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    write(name === undefined ? io.stderr : io.stdout, usage());
    return name === undefined ? ExitCode.input : ExitCode.ok;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const guess = closest(name, Object.keys(COMMANDS));
    write(
      io.stderr,
      `rmm-verify: unknown command '${escapeText(name)}'${guess === undefined ? '' : `; did you mean '${guess}'?`}\n\n${usage()}`,
    );
    return ExitCode.input;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (error: unknown) {
    if (error instanceof InterruptedError) {
      // Stopped from outside: one line, the signal's conventional status, nothing written.
      write(io.stderr, `rmm-verify ${name}: ${error.message}; stopped: no report written, nothing recorded`);
      return error.exitCode;
    }
    if (error instanceof RmmVerifyError) {
      // Messages quote inputs (file names, values): escaped, so none can add a line or reorder one.
      write(io.stderr, escapeText(errorLine(name, error.message)));
      return ExitCode.input;
    }
    // Unexpected failure: fail closed, never report success.
    write(io.stderr, `rmm-verify ${name}: internal error: ${escapeText(errorMessage(error))}`);
    if (error instanceof Error && error.stack && io.env['RMM_VERIFY_DEBUG']) write(io.stderr, error.stack);
    return ExitCode.input;
  }
}
