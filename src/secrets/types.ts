/** Secrets: named values handed to a task as env vars of that task only, never logged. */
export interface SecretsStore {
  readonly type: string;
  /** the secret's value; throws RunnableError naming the secret when it is absent */
  get(name: string): Promise<string>;
}
