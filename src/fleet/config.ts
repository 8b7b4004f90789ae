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
import { escapeInstance, isPrintableAscii, normaliseInstance } from './instance-id.ts';
import { nameKey } from './product-name.ts';
import type { RmmTool } from './rmm-tools.ts';

/**
 * The drift config file (`--config`): which RMM and remote-access tools each tenant may run,
 * and which instances of them are ours.
 * ```json
 * { "schema": 1,
 *   "allow": ["teamviewer",                                          // every tenant
 *             { "name": "screenconnect", "instances": ["1a2b3c4d5e6f7a8b", "relay.msp.example"] }],
 *   "tenants": { "contoso": { "allow": [{ "name": "meshcentral-agent", "instances": ["mesh.msp.example"] }] } } }
 * ```
 * Entries name a tool by id, name or alias (or a managed product by its manifest's product or
 * alias), compared in normal form (product-name.ts: case, spacing, lookalike letters ignored).
 * Tenant names are matched case-insensitively. A tool that is the product of a pinned manifest
 * is always approved.
 *
 * Instances (AA23-025A: attackers bring their own ScreenConnect): a row that names the instance
 * its agent answers to (the id in `ScreenConnect Client (…)`, or the inventory's `instance`
 * column) passes only when that instance is listed for the tool in the global or the tenant's
 * entries. Allowing a tool does not allow every instance of it: an allowed tool (or a managed
 * product) with no instances listed makes every row that names an instance
 * DRIFT_UNLISTED_INSTANCE; list `"*"` to accept any instance on purpose. Rows that name no
 * instance are judged by the allow alone (the inventory does not say). Listed instances are
 * compared exactly in their normal form (instance-id.ts), never folded.
 */
export interface AllowEntry {
  readonly name: string;
  /** Normalised instances (instance-id.ts); '*' for any; empty: none listed. */
  readonly instances: readonly string[];
}

/** An allowlist entry: a plain name allows the tool (instances unlisted), or a name with instances. */
export type AllowItem = string | AllowEntry;

export interface DriftConfig {
  readonly allow: readonly AllowItem[];
  readonly tenants: Readonly<Record<string, { readonly allow: readonly AllowItem[] }>>;
}

export const EMPTY_CONFIG: DriftConfig = { allow: [], tenants: {} };

export function parseDriftConfig(text: string, file: string): DriftConfig {
  const value = parseStrictJson(text, file).value;
  const fail = (pointer: string, expected: string): never => {
    throw new InputError('INPUT_INVALID', `drift config: expected ${expected}`, { file, pointer });
  };
  const entries = (v: JsonValue | undefined, pointer: string): AllowEntry[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return fail(pointer, 'an array of tool names or { name, instances } objects');
    return v.map((entry, index): AllowEntry => {
      const at = `${pointer}/${index}`;
      if (typeof entry === 'string' && entry !== '') return { name: entry, instances: [] };
      if (!isJsonObject(entry))
        return fail(at, 'a non-empty tool name or an object { "name": ..., "instances": [...] }');
      for (const key of Object.keys(entry))
        if (key !== 'name' && key !== 'instances')
          fail(`${at}/${pointerToken(key)}`, 'only name and instances');
      const name = entry['name'];
      if (typeof name !== 'string' || name === '') return fail(`${at}/name`, 'a non-empty tool name');
      const list = entry['instances'];
      if (!Array.isArray(list) || list.length === 0)
        return fail(`${at}/instances`, 'a non-empty array of instance ids or hosts');
      const instances = list.map((item, i) => {
        const where = `${at}/instances/${i}`;
        if (typeof item !== 'string') return fail(where, 'a string');
        const instance = normaliseInstance(item);
        if (instance === '' || !isPrintableAscii(instance))
          return fail(
            where,
            `an instance id or host in printable ASCII (an IDN host in its xn-- form); found '${escapeInstance(item)}'`,
          );
        return instance;
      });
      return { name, instances };
    });
  };
  if (!isJsonObject(value)) return fail('', 'a JSON object');
  if (value['schema'] !== 1) fail('/schema', 'the number 1');
  for (const key of Object.keys(value)) {
    if (!['schema', 'allow', 'tenants', '$schema'].includes(key))
      fail(`/${pointerToken(key)}`, 'only schema, allow and tenants');
  }
  const tenants: Record<string, { allow: AllowEntry[] }> = {};
  const tenantsValue = value['tenants'] ?? {};
  if (!isJsonObject(tenantsValue)) return fail('/tenants', 'an object keyed by tenant');
  for (const [tenant, entry] of Object.entries(tenantsValue)) {
    const at = `/tenants/${pointerToken(tenant)}`;
    if (!isJsonObject(entry)) return fail(at, 'an object with an allow array');
    for (const key of Object.keys(entry))
      if (key !== 'allow') fail(`${at}/${pointerToken(key)}`, 'only allow');
    tenants[tenant] = { allow: entries(entry['allow'], `${at}/allow`) };
  }
  return { allow: entries(value['allow'], '/allow'), tenants };
}

export async function loadDriftConfig(path: string): Promise<DriftConfig> {
  const bytes = await readBoundedFile(path, defaults.maxDriftConfigBytes, 'drift config');
  return parseDriftConfig(decodeUtf8(bytes, path), path);
}

/** One scope's allowlist (global or one tenant's): allowed names and listed instances per name. */
interface Scope {
  readonly names: ReadonlySet<string>;
  readonly instances: ReadonlyMap<string, ReadonlySet<string>>;
}

function scopeOf(entries: readonly AllowItem[]): Scope {
  const names = new Set<string>();
  const instances = new Map<string, Set<string>>();
  for (const item of entries) {
    const entry = typeof item === 'string' ? { name: item, instances: [] } : item;
    const key = nameKey(entry.name);
    names.add(key);
    if (entry.instances.length === 0) continue;
    let set = instances.get(key);
    if (set === undefined) instances.set(key, (set = new Set()));
    // Normalised again: entries may come from the library API rather than parseDriftConfig.
    for (const instance of entry.instances) set.add(normaliseInstance(instance));
  }
  return { names, instances };
}

/** How an instance stands against the allowlist: listed, or not (and what it looks like). */
export interface InstanceVerdict {
  readonly listed: boolean;
  /** The instances listed for the product in the tenant's scope (global and its own). */
  readonly known: readonly string[];
}

/** Answers "may this tenant run this tool?" and "is this instance of it ours?". */
export class Allowlist {
  private readonly global: Scope;
  private readonly perTenant = new Map<string, Scope>();

  constructor(config: DriftConfig) {
    this.global = scopeOf(config.allow);
    for (const [tenant, entry] of Object.entries(config.tenants)) {
      this.perTenant.set(tenant.toLowerCase(), scopeOf(entry.allow));
    }
  }

  allows(tenant: string, tool: RmmTool): boolean {
    const names = [tool.id, tool.name, ...tool.aliases].map(nameKey);
    if (names.some((n) => this.global.names.has(n))) return true;
    const own = this.perTenant.get(tenant.toLowerCase());
    return own !== undefined && names.some((n) => own.names.has(n));
  }

  /**
   * Whether `instance` (normalised, not '') of the product known by `names` (a tool's id, name
   * and aliases, or a manifest's product and aliases) is listed for the tenant.
   */
  instance(tenant: string, names: readonly string[], instance: string): InstanceVerdict {
    const known = new Set<string>();
    const keys = names.map(nameKey);
    for (const scope of [this.global, this.perTenant.get(tenant.toLowerCase())])
      if (scope !== undefined)
        for (const key of keys) for (const listed of scope.instances.get(key) ?? []) known.add(listed);
    return { listed: known.has('*') || known.has(instance), known: [...known] };
  }
}
