/** Cleanup steps of a bench run (temp dirs, servers), run last-in first-out at the end or on SIGINT/SIGTERM. */
export const cleanups = [];

export async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (e) {
      console.error("cleanup:", e?.message ?? e);
    }
  }
}

for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => void cleanup().finally(() => process.exit(130)));
