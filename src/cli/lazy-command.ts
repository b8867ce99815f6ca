import type { Command } from 'commander';

/** What an action module (src/cli/actions/<name>.ts) exports: the action, called as commander calls it. */
export interface ActionModule<Args extends unknown[]> {
  default: (this: Command, ...args: Args) => unknown;
}

/**
 * Attach an action that is loaded only when the command runs. The definition (name, arguments,
 * options, help) is built eagerly because it is cheap; the implementation, and with it every heavy
 * module it imports (aws-cdk-lib, dockerode, the app model...), is imported on demand so that
 * `--help`, `--version` and light commands never pay for the heavy ones.
 */
export function lazyCommand<Args extends unknown[]>(
  definition: Command,
  load: () => Promise<ActionModule<Args>>,
): Command {
  return definition.action(async function (this: Command, ...args: unknown[]) {
    const { default: action } = await load();
    await action.apply(this, args as Args);
  });
}
