/** What the CLI touches of the outside world, passed in so tests can run it in-process. */
export interface CliIO {
  readonly stdout: (chunk: string | Uint8Array) => void;
  readonly stderr: (line: string) => void;
  /** The whole of standard input (only read when a value is to come from it). */
  readonly readStdin: () => Promise<Uint8Array>;
  /** True when standard input is a terminal: then a missing value is a usage error, not a wait for input. */
  readonly stdinIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Promise<Uint8Array>;
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM): a held lock is then released. */
  readonly interrupted: () => Promise<string>;
  /** The fetch the client uses (default: the global one). */
  readonly fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

/** The real process's IO. */
export async function processIO(): Promise<CliIO> {
  const { readFile } = await import("node:fs/promises");
  return {
    stdout: (chunk) => void process.stdout.write(chunk),
    stderr: (line) => void process.stderr.write(line.endsWith("\n") ? line : line + "\n"),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
    readFile: async (path) => new Uint8Array(await readFile(path)),
    interrupted: () =>
      new Promise((resolve) => {
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve(signal));
      }),
  };
}
