import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { readInputs } from '../../src/action/inputs.ts';
import {
  ACTION_INPUTS,
  ACTION_METADATA,
  ACTION_OUTPUTS,
  renderActionYaml,
  type InputName,
} from '../../src/action/metadata.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Reads the two-level structure of action.yml (top-level keys, and the keys under each of
 * `inputs`, `outputs`, `runs`, `branding` with their scalar fields) by indentation, independently
 * of the renderer. Enough to check what the runner will see; not a general YAML parser.
 */
function readActionYaml(
  text: string,
): Record<string, Record<string, Record<string, string> | string> | string> {
  const result: Record<string, Record<string, Record<string, string> | string> | string> = {};
  let section: Record<string, Record<string, string> | string> | undefined;
  let entry: Record<string, string> | undefined;
  const scalar = (raw: string): string => {
    if (raw.startsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
    if (raw.startsWith('"')) return JSON.parse(raw) as string;
    return raw;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = /^( *)([A-Za-z0-9_-]+):(?: (.*))?$/.exec(line);
    if (!match) throw new Error(`action.yml: unexpected line: ${line}`);
    const [, indent = '', key = '', value] = match;
    if (indent.length === 0) {
      if (value === undefined) result[key] = section = {};
      else result[key] = scalar(value);
      entry = undefined;
    } else if (indent.length === 2 && section) {
      if (value === undefined) section[key] = entry = {};
      else section[key] = scalar(value);
    } else if (indent.length === 4 && entry) {
      entry[key] = scalar(value ?? '');
    } else {
      throw new Error(`action.yml: unexpected indentation: ${line}`);
    }
  }
  return result;
}

describe('action.yml', () => {
  it('is what metadata.ts renders (run `npm run build:action` after editing metadata.ts)', async () => {
    expect(await readFile(resolve(ROOT, 'action.yml'), 'utf8')).toBe(renderActionYaml());
  });

  it('has the keys a runner requires: name, description, runs.using node24 and a main that exists', async () => {
    const yaml = readActionYaml(await readFile(resolve(ROOT, 'action.yml'), 'utf8'));
    expect(typeof yaml['name']).toBe('string');
    expect(typeof yaml['description']).toBe('string');
    const runs = yaml['runs'] as Record<string, string>;
    expect(runs['using']).toBe('node24');
    expect(runs['main']).toBe('dist/action/index.js');
    expect(existsSync(resolve(ROOT, runs['main'] ?? ''))).toBe(true);
  });

  it('declares every input with a description, and exactly the outputs the Action sets', async () => {
    const yaml = readActionYaml(await readFile(resolve(ROOT, 'action.yml'), 'utf8'));
    const inputs = yaml['inputs'] as Record<string, Record<string, string>>;
    const outputs = yaml['outputs'] as Record<string, Record<string, string>>;
    expect(Object.keys(inputs).sort()).toEqual(Object.keys(ACTION_INPUTS).sort());
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(ACTION_OUTPUTS).sort());
    for (const input of Object.values(inputs)) {
      expect(input['description']?.length).toBeGreaterThan(10);
      expect(['true', 'false']).toContain(input['required']);
    }
    for (const output of Object.values(outputs)) expect(output['description']?.length).toBeGreaterThan(5);
    expect(inputs['github-token']?.['default']).toBe('${{ github.token }}');
    expect(inputs['paths']?.['required']).toBe('true');
  });

  it('every input the code reads is declared, and every declared input is read', () => {
    const read = new Set<string>();
    const values: Partial<Record<InputName, string>> = { paths: 'dist/*', manifest: 'm.json' };
    readInputs((name) => {
      read.add(name);
      return values[name] ?? '';
    }, '/workspace');
    expect([...read].sort()).toEqual(Object.keys(ACTION_INPUTS).sort());
    // The bundle reads inputs only through readInputs and the token mask in main.ts.
    expect(ACTION_METADATA.inputs).toBe(ACTION_INPUTS);
  });

  it('the entry point reads no input by a name that is not declared', async () => {
    const sources = await Promise.all(
      ['main.ts', 'inputs.ts', 'run.ts', 'modes.ts', 'paths.ts'].map((f) =>
        readFile(resolve(ROOT, 'src/action', f), 'utf8'),
      ),
    );
    const names = sources.flatMap((s) => [...s.matchAll(/getInput\('([^']+)'/g)].map((m) => m[1]));
    for (const name of names) expect(Object.keys(ACTION_INPUTS)).toContain(name);
    expect(sources.join('\n')).not.toMatch(/process\.env\[?['"]?INPUT_/);
  });
});

describe('readInputs', () => {
  const read = (values: Partial<Record<InputName, string>>) => (name: InputName) => values[name] ?? '';

  it('applies the declared defaults to empty inputs', () => {
    const inputs = readInputs(
      read({ paths: ' dist/*.msi \n\n# comment\n!dist/skip.msi ', manifest: 'm.json' }),
      '/ws',
    );
    expect(inputs).toEqual({
      mode: 'verify',
      paths: ['dist/*.msi', '!dist/skip.msi'],
      manifests: ['m.json'],
      trust: 'keys/trust.json',
      evidence: [],
      state: undefined,
      refreshTrustedRoot: false,
      failOn: 'low',
      format: 'json',
      reportFile: 'rmm-verify-report.json',
      sarifFile: 'rmm-verify.sarif',
      githubToken: undefined,
      workspace: '/ws',
    });
  });

  it('keeps the token out of the defaults expression and takes an explicit one', () => {
    expect(
      readInputs(read({ paths: 'a', 'github-token': '${{ github.token }}' }), '/ws').githubToken,
    ).toBeUndefined();
    expect(readInputs(read({ paths: 'a', 'github-token': ' ghs_x ' }), '/ws').githubToken).toBe('ghs_x');
  });

  it.each([
    [{ paths: '' }, "input 'paths' is required"],
    [{ paths: '!only/excluded' }, 'only exclusions'],
    [
      { paths: 'a', 'fail-on': 'info' },
      "input 'fail-on' must be one of critical, high, medium, low; got 'info'",
    ],
    [{ paths: 'a', format: 'pdf' }, "input 'format' must be one of"],
    [{ paths: 'a', mode: 'VERIFY' }, "input 'mode' must be one of verify, drift, attest, sbom; got 'VERIFY'"],
  ])('rejects %j', (values, message) => {
    expect(() => readInputs(read(values), '/ws')).toThrow(message);
  });
});

describe('README ## GitHub Action', () => {
  it('documents every input and output, and no other', async () => {
    const readme = await readFile(resolve(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- section:action -->');
    const end = readme.indexOf('<!-- /section:action -->');
    expect(start).toBeGreaterThanOrEqual(0);
    const section = readme.slice(start, end);
    const table = (heading: string) => {
      const from = section.indexOf(heading);
      const rows = section.slice(from).split('\n').slice(4);
      const names: string[] = [];
      for (const row of rows) {
        if (!row.startsWith('| `')) break;
        const first = row.split('|')[1] ?? '';
        names.push(...[...first.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ''));
      }
      return names.sort();
    };
    expect(table('### Inputs')).toEqual(Object.keys(ACTION_INPUTS).sort());
    expect(table('### Outputs')).toEqual(Object.keys(ACTION_OUTPUTS).sort());
    expect(section).toContain('uses: your-org/rmm-verify@<commit-sha>');
  });
});
