/**
 * Compiles every JSON Schema rmm-verify validates against into standalone ajv code in
 * src/validators/ (one module per schema group), so no run pays for ajv's schema compilation
 * (about a second of CPU for the manifest schemas alone, more for CycloneDX) or loads ajv's
 * compiler. Run by `npm run build` (so by `prepare`, `npm ci` and `npm pack`) and before the
 * tests (test/global-setup.ts). The outputs are not committed (CycloneDX 1.6 alone is ~1 MB);
 * each carries a digest of its inputs and is rewritten only when they change.
 *
 * `node scripts/build-validators.ts --check` exits 1 when an output is missing or stale.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { _, str, Ajv, type AnySchema, type KeywordDefinition, type Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import addFormatsModule from 'ajv-formats';

import { signatureFileSchema, stateSchema, trustRootSchema } from '../src/manifest/document-schemas.ts';
import { manifestFormats } from '../src/manifest/formats.ts';
import { manifestSchema } from '../src/manifest/schema.ts';
import { stripNullable } from '../src/manifest/validate-json.ts';
import { POLICY_SCHEMA } from '../src/sbom/policy-schema.ts';
import { SPDX_23_SCHEMA } from '../src/sbom/spdx-schema.ts';
import { firstDuplicate } from '../src/sbom/unique-items.ts';

// Both are CommonJS; their default exports arrive as the module objects under NodeNext.
const standaloneCode = standaloneModule.default;
const addFormats = addFormatsModule as unknown as (ajv: Ajv, formats: string[]) => Ajv;

const ROOT = new URL('../', import.meta.url);
const OUT_DIR = fileURLToPath(new URL('src/validators/', ROOT));
const SBOM_SCHEMAS = new URL('src/sbom/schemas/', ROOT);

function readJson(url: URL): AnySchema {
  return JSON.parse(readFileSync(url, 'utf8')) as AnySchema;
}

function packageVersion(name: string): string {
  const url = new URL(`node_modules/${name}/package.json`, ROOT);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/** Options every group shares: all errors, with the failing value (`verbose`), as ESM source. */
const common = {
  allErrors: true,
  verbose: true,
  // Formats are referenced from the `formats` binding each module imports (see the preludes).
  code: { source: true, esm: true, formats: _`formats` },
} satisfies Options;

/**
 * `uniqueItems` in one pass (src/sbom/unique-items.ts) instead of ajv's pairwise comparison,
 * which takes hours on 50,000 components. Same verdict; the error names the repeated item.
 */
const linearUniqueItems: KeywordDefinition = {
  keyword: 'uniqueItems',
  type: 'array',
  schemaType: 'boolean',
  error: {
    message: ({ params }) =>
      str`must not contain duplicate items (item ${params['duplicate']} repeats an earlier one)`,
    params: ({ params }) => _`{duplicate: ${params['duplicate']}}`,
  },
  code(cxt) {
    if (cxt.schema !== true) return;
    const check = cxt.gen.scopeValue('func', { ref: firstDuplicate, code: _`firstDuplicate` });
    const duplicate = cxt.gen.const('duplicate', _`${check}(${cxt.data})`);
    cxt.setParams({ duplicate });
    cxt.fail(_`${duplicate} >= 0`);
  },
};

/** ajv for the bundled CycloneDX and SPDX schemas, as the CycloneDX tools read them. */
function sbomAjv(): Ajv {
  // strict: false because the CycloneDX schemas use keywords ajv's strict mode rejects
  // (`meta:enum`, `deprecated`); remote $refs are never fetched (no loadSchema).
  const ajv = new Ajv({ ...common, strict: false });
  // The BOM schemas refer to their dependencies by these file names (see schemas/README.md).
  ajv.addSchema(
    readJson(new URL('spdx.SNAPSHOT.schema.json', SBOM_SCHEMAS)),
    'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json',
  );
  ajv.addSchema(
    readJson(new URL('jsf-0.82.SNAPSHOT.schema.json', SBOM_SCHEMAS)),
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json',
  );
  addFormats(ajv, ['date-time', 'uri', 'email']);
  // JSON Schema draft-07 formats ajv-formats lacks: accepted as the CycloneDX library does.
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  ajv.addFormat('iri-reference', true);
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(linearUniqueItems);
  return ajv;
}

/** ajv for our own documents: draft 2020-12, strict, with the formats of src/manifest/formats.ts. */
function manifestAjv(): Ajv2020 {
  const ajv = new Ajv2020({ ...common, strict: true });
  for (const [name, check] of Object.entries(manifestFormats)) ajv.addFormat(name, check);
  return ajv;
}

const SBOM_PRELUDE = [
  "import { fullFormats as formats } from 'ajv-formats/dist/formats.js';",
  "import { firstDuplicate } from '../sbom/unique-items.ts';",
];

interface Output {
  readonly file: string;
  readonly sources: string;
  readonly prelude: readonly string[];
  /** What the code is made from; its digest decides whether the file is rewritten. */
  readonly inputs: () => unknown;
  readonly generate: () => string;
}

function cycloneDx(version: '1.4' | '1.5' | '1.6'): Output {
  const file = `bom-${version}.SNAPSHOT.schema.json`;
  return {
    file: `cyclonedx-${version}.ts`,
    sources: `src/sbom/schemas/${file}`,
    prelude: SBOM_PRELUDE,
    inputs: () => [readFileSync(new URL(file, SBOM_SCHEMAS), 'utf8'), sbomSchemaDependencies()],
    generate: () => {
      const ajv = sbomAjv();
      return standaloneCode(ajv, ajv.compile(readJson(new URL(file, SBOM_SCHEMAS))));
    },
  };
}

function sbomSchemaDependencies(): string[] {
  return ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json'].map((name) =>
    readFileSync(new URL(name, SBOM_SCHEMAS), 'utf8'),
  );
}

const OUTPUTS: readonly Output[] = [
  {
    file: 'manifest.ts',
    sources: 'src/manifest/schema.ts, src/manifest/document-schemas.ts',
    prelude: ["import { manifestFormats as formats } from '../manifest/formats.ts';"],
    inputs: () => [
      stripNullable(manifestSchema),
      trustRootSchema,
      signatureFileSchema,
      stateSchema,
      Object.keys(manifestFormats),
    ],
    generate: () => {
      const ajv = manifestAjv();
      // Our documents never contain null; `nullable` only satisfies JSONSchemaType's typing.
      ajv.addSchema(stripNullable(manifestSchema) as AnySchema, 'manifest');
      ajv.addSchema(trustRootSchema, 'trustRoot');
      ajv.addSchema(signatureFileSchema, 'signatureFile');
      ajv.addSchema(stateSchema, 'state');
      return standaloneCode(ajv, {
        manifest: 'manifest',
        trustRoot: 'trustRoot',
        signatureFile: 'signatureFile',
        state: 'state',
      });
    },
  },
  {
    file: 'sbom-policy.ts',
    sources: 'src/sbom/policy-schema.ts',
    prelude: [],
    inputs: () => POLICY_SCHEMA,
    generate: () => {
      const ajv = new Ajv({ ...common, strict: true, strictRequired: false });
      return standaloneCode(ajv, ajv.compile(POLICY_SCHEMA));
    },
  },
  cycloneDx('1.4'),
  cycloneDx('1.5'),
  cycloneDx('1.6'),
  {
    file: 'spdx-2.3.ts',
    sources: 'src/sbom/spdx-schema.ts',
    prelude: SBOM_PRELUDE,
    inputs: () => [SPDX_23_SCHEMA, sbomSchemaDependencies()],
    generate: () => {
      const ajv = sbomAjv();
      return standaloneCode(ajv, ajv.compile(SPDX_23_SCHEMA));
    },
  },
];

/** ajv's standalone ESM output still `require`s its runtime helpers: turn those into imports. */
function toModule(code: string, prelude: readonly string[]): string {
  const imports = new Map<string, string>();
  const body = code
    .replace(/^"use strict";/, '')
    .replace(/require\("([^"]+)"\)/g, (_match, specifier: string) => {
      let name = imports.get(specifier);
      if (name === undefined) {
        name = `runtime${imports.size}`;
        imports.set(specifier, name);
      }
      return name;
    });
  const lines = prelude.filter((line) => {
    const binding = /import \{ (?:\w+ as )?(\w+) \}/.exec(line)?.[1];
    return binding === undefined || new RegExp(`\\b${binding}\\b`).test(body);
  });
  for (const [specifier, name] of imports) {
    // CommonJS modules whose `exports.default` the code reads: Node's default import is
    // module.exports, a bundler's (esbuild, vite) may be `exports.default` itself.
    lines.push(
      `import ${name}Import from '${specifier.endsWith('.js') ? specifier : `${specifier}.js`}';`,
      `const ${name} = typeof ${name}Import === 'function' ? { default: ${name}Import } : ${name}Import;`,
    );
  }
  return `${lines.join('\n')}\n${body}\n`;
}

function digestOf(output: Output): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  hash.update(`ajv ${packageVersion('ajv')} ajv-formats ${packageVersion('ajv-formats')}\n`);
  hash.update(JSON.stringify([output.file, output.prelude, output.inputs()]));
  return hash.digest('hex');
}

function headerOf(output: Output, digest: string): string {
  return [
    '// @ts-nocheck',
    `// Generated by scripts/build-validators.ts from ${output.sources}: do not edit.`,
    `// inputs sha256:${digest}`,
    '',
  ].join('\n');
}

const check = process.argv.includes('--check');
mkdirSync(OUT_DIR, { recursive: true });
let stale = 0;
for (const output of OUTPUTS) {
  const path = `${OUT_DIR}${output.file}`;
  const header = headerOf(output, digestOf(output));
  if (existsSync(path) && readFileSync(path, 'utf8').startsWith(header)) continue;
  stale++;
  if (check) {
    console.error(`src/validators/${output.file} is missing or stale: run npm run build`);
    continue;
  }
  const started = performance.now();
  const text = header + toModule(output.generate(), output.prelude);
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  console.log(
    `wrote src/validators/${output.file} (${Math.round(text.length / 1024)} KiB, ${Math.round(performance.now() - started)} ms)`,
  );
}
if (check && stale > 0) process.exitCode = 1;
