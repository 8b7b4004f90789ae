import type { CheckResources, RunResource } from './check.ts';

/** The resources of one `verify` run (see CheckResources); close() releases every one made. */
export class RunResources implements CheckResources {
  readonly threads: number;
  readonly #made = new Map<string, RunResource>();

  constructor(threads: number) {
    this.threads = threads;
  }

  shared<T extends RunResource>(key: string, create: () => T): T {
    let resource = this.#made.get(key);
    if (resource === undefined) {
      resource = create();
      this.#made.set(key, resource);
    }
    return resource as T;
  }

  async close(): Promise<void> {
    const made = [...this.#made.values()];
    this.#made.clear();
    await Promise.all(made.map((resource) => resource.close()));
  }
}
