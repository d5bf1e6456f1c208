/** One problem core's config validation found (`ConfigError.issues`). */
export interface ConfigIssueLike {
  path: string | readonly (string | number)[];
  message: string;
}

/** True for an error that carries core's config issues. */
export function hasConfigIssues(error: unknown): error is Error & { issues: ConfigIssueLike[] } {
  return (
    error instanceof Error &&
    Array.isArray((error as unknown as { issues?: unknown }).issues) &&
    (error as unknown as { issues: unknown[] }).issues.every((issue) => typeof issue === "object" && issue !== null && "message" in issue)
  );
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A JSON path as a person reads it: `models["qwen-7b"].port`,
 * `models["a"].extra_args[2]`. Names chosen by the user (model names, env keys)
 * are always quoted so that they cannot be mistaken for a config field.
 */
export function formatIssuePath(path: ConfigIssueLike["path"]): string {
  if (typeof path === "string") return path === "" ? "(top level)" : path;
  let text = "";
  let previous: string | number | undefined;
  for (const segment of path) {
    const userKey = previous === "models" || previous === "env";
    if (typeof segment === "number") text += `[${segment}]`;
    else if (!userKey && IDENTIFIER.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
    previous = segment;
  }
  return text === "" ? "(top level)" : text;
}

/** The lines `llmux` prints for an invalid config: `config.json: models["a"].port: expected …, found …`. */
export function formatConfigIssues(file: string, issues: readonly ConfigIssueLike[]): string[] {
  return issues.map((issue) => `${file}: ${formatIssuePath(issue.path)}: ${issue.message}`);
}
