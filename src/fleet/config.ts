import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import {
  decodeUtf8,
  isJsonObject,
  parseStrictJson,
  pointerToken,
  type JsonValue,
} from '../json/strict-json.ts';
import { nameKey } from './product-name.ts';
import type { RmmTool } from './rmm-tools.ts';

/**
 * The drift config file (`--config`): which RMM and remote-access tools each tenant may run.
 * ```json
 * { "schema": 1,
 *   "allow": ["screenconnect"],                       // every tenant
 *   "tenants": { "contoso": { "allow": ["teamviewer"] } } }
 * ```
 * Entries name a tool by id, name or alias, compared in normal form (product-name.ts: case,
 * spacing, lookalike letters ignored). Tenant names are matched case-insensitively. A tool that is the product of a pinned manifest is always approved.
 */
export interface DriftConfig {
  readonly allow: readonly string[];
  readonly tenants: Readonly<Record<string, { readonly allow: readonly string[] }>>;
}

export const EMPTY_CONFIG: DriftConfig = { allow: [], tenants: {} };

export function parseDriftConfig(text: string, file: string): DriftConfig {
  const value = parseStrictJson(text, file).value;
  const fail = (pointer: string, expected: string): never => {
    throw new InputError('INPUT_INVALID', `drift config: expected ${expected}`, { file, pointer });
  };
  const strings = (v: JsonValue | undefined, pointer: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== ''))
      return fail(pointer, 'an array of non-empty strings');
    return v as string[];
  };
  if (!isJsonObject(value)) return fail('', 'a JSON object');
  if (value['schema'] !== 1) fail('/schema', 'the number 1');
  for (const key of Object.keys(value)) {
    if (!['schema', 'allow', 'tenants', '$schema'].includes(key))
      fail(`/${pointerToken(key)}`, 'only schema, allow and tenants');
  }
  const tenants: Record<string, { allow: string[] }> = {};
  const tenantsValue = value['tenants'] ?? {};
  if (!isJsonObject(tenantsValue)) return fail('/tenants', 'an object keyed by tenant');
  for (const [tenant, entry] of Object.entries(tenantsValue)) {
    const at = `/tenants/${pointerToken(tenant)}`;
    if (!isJsonObject(entry)) return fail(at, 'an object with an allow array');
    for (const key of Object.keys(entry))
      if (key !== 'allow') fail(`${at}/${pointerToken(key)}`, 'only allow');
    tenants[tenant] = { allow: strings(entry['allow'], `${at}/allow`) };
  }
  return { allow: strings(value['allow'], '/allow'), tenants };
}

export async function loadDriftConfig(path: string): Promise<DriftConfig> {
  const bytes = await readBoundedFile(path, defaults.maxDriftConfigBytes, 'drift config');
  return parseDriftConfig(decodeUtf8(bytes, path), path);
}

/** Answers "may this tenant run this tool?" with per-tenant caching. */
export class Allowlist {
  private readonly global: ReadonlySet<string>;
  private readonly perTenant = new Map<string, ReadonlySet<string>>();

  constructor(config: DriftConfig) {
    this.global = new Set(config.allow.map(nameKey));
    for (const [tenant, entry] of Object.entries(config.tenants)) {
      this.perTenant.set(tenant.toLowerCase(), new Set(entry.allow.map(nameKey)));
    }
  }

  allows(tenant: string, tool: RmmTool): boolean {
    const names = [tool.id, tool.name, ...tool.aliases].map(nameKey);
    if (names.some((n) => this.global.has(n))) return true;
    const own = this.perTenant.get(tenant.toLowerCase());
    return own !== undefined && names.some((n) => own.has(n));
  }
}
