/** What a command line prints for an error the user fixes in a file (the config, the outputs file); else undefined. */
export function userErrorMessage(err: unknown): string | undefined {
  const name = err instanceof Error ? err.name : undefined;
  return name === 'ConfigError' || name === 'OutputsError'
    ? `error: ${(err as Error).message}`
    : undefined;
}

/**
 * Run an entry point that a tool starts (`cdktf synth`, `cdk8s synth`): a bad config or outputs file is printed as
 * `npm run synth` prints it and the process exits 1, without a stack trace; any other error is a bug and keeps its
 * stack.
 */
export function runEntry(main: () => void): void {
  try {
    main();
  } catch (err) {
    const message = userErrorMessage(err);
    if (message === undefined) throw err;
    console.error(message);
    process.exitCode = 1;
  }
}
