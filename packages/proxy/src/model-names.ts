/**
 * What a client may put in `model`: each configured name, and each model's
 * `aliases` (core checks at load time that none is used twice).
 */
export class ModelNames {
  readonly #canonical = new Map<string, string>();

  constructor(models: Record<string, unknown>) {
    for (const [name, model] of Object.entries(models)) {
      this.#canonical.set(name, name);
      for (const alias of aliasesOf(model)) if (!this.#canonical.has(alias)) this.#canonical.set(alias, name);
    }
  }

  /** The configured model a name or alias stands for; undefined when none. */
  resolve(nameOrAlias: string): string | undefined {
    return this.#canonical.get(nameOrAlias);
  }

  /** The aliases of a configured model, in config order. */
  aliasesOf(name: string): string[] {
    return [...this.#canonical].filter(([alias, target]) => target === name && alias !== name).map(([alias]) => alias);
  }
}

function aliasesOf(model: unknown): string[] {
  const aliases = (model as { aliases?: unknown } | null)?.aliases;
  return Array.isArray(aliases) ? aliases.filter((alias): alias is string => typeof alias === "string") : [];
}
