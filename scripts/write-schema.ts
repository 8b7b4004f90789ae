/** Writes manifests/schema/*.schema.json from the typed schemas in src/manifest/ (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { manifestSchemaDocument, trustRootSchemaDocument } from '../src/manifest/schema-document.ts';

for (const [name, text] of [
  ['manifest.schema.json', manifestSchemaDocument()],
  ['trust-root.schema.json', trustRootSchemaDocument()],
] as const) {
  const out = fileURLToPath(new URL(`../manifests/schema/${name}`, import.meta.url));
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
