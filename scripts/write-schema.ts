/** Writes manifests/schema/manifest.schema.json from src/manifest/schema.ts (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { manifestSchemaDocument } from '../src/manifest/schema-document.ts';

const out = fileURLToPath(new URL('../manifests/schema/manifest.schema.json', import.meta.url));
writeFileSync(out, manifestSchemaDocument());
console.log(`wrote ${out}`);
