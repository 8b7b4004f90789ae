import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The committed bundle: what a workflow runs (test/action/bundle.test.ts checks it is fresh). */
export const BUNDLE = resolve(import.meta.dirname, '../../dist/action/index.js');

export interface ActionRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly summary: string;
  readonly outputs: Record<string, string>;
}

/**
 * Parses $GITHUB_OUTPUT as the runner does: `name<<DELIMITER`, value lines, `DELIMITER`
 * (the form @actions/core writes), or plain `name=value`.
 */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      for (i += 1; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      outputs[name] = value.join('\n');
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      outputs[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return outputs;
}

/**
 * Runs the bundled Action in a subprocess with the environment a runner gives it: one
 * `INPUT_<NAME>` variable per input (upper-cased, hyphens kept), GITHUB_WORKSPACE as the
 * working directory, and files for GITHUB_STEP_SUMMARY and GITHUB_OUTPUT.
 */
export async function runAction(
  workspace: string,
  inputs: Record<string, string>,
  bundle: string = BUNDLE,
  extraEnv: Record<string, string> = {},
): Promise<ActionRun> {
  const runnerDir = await mkdtemp(join(tmpdir(), 'rmm-verify-runner-'));
  const summaryPath = join(runnerDir, 'step-summary.md');
  const outputPath = join(runnerDir, 'output');
  await writeFile(summaryPath, '');
  await writeFile(outputPath, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: runnerDir,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_OUTPUT: outputPath,
    RUNNER_TEMP: runnerDir,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolvePromise) => {
      execFile(
        process.execPath,
        [bundle],
        { cwd: workspace, env, timeout: 60_000, maxBuffer: 16 << 20 },
        (error, out, err) => {
          const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolvePromise({ code: status, stdout: out, stderr: err });
        },
      );
    },
  );
  return {
    code,
    stdout,
    stderr,
    summary: await readFile(summaryPath, 'utf8'),
    outputs: parseOutputFile(await readFile(outputPath, 'utf8')),
  };
}

export interface WorkflowCommand {
  readonly command: string;
  readonly properties: Record<string, string>;
  readonly message: string;
}

/** Undoes @actions/core's escaping of workflow-command data and properties. */
function unescape(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/** The `::command key=value,...::message` lines of a step's stdout. */
export function workflowCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const [, command = '', props = '', message = ''] = match;
    const properties: Record<string, string> = {};
    for (const pair of props.split(',').filter((p) => p !== '')) {
      const at = pair.indexOf('=');
      properties[pair.slice(0, at)] = unescape(pair.slice(at + 1));
    }
    commands.push({ command, properties, message: unescape(message) });
  }
  return commands;
}
