// Reads a text/event-stream response in tests: events (and comments) as they come, with a timeout each.

export interface Sse {
  readonly id?: string;
  readonly event?: string;
  readonly data?: Record<string, unknown>;
  readonly comment?: string;
  readonly retry?: string;
}

/** Reads events (and comments) off a stream as they come. */
export function reader(res: Response) {
  const r = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const next = async (timeoutMs = 20_000): Promise<Sse> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string> = {};
        let comment: string | undefined;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) comment = line.slice(1).trim();
          else {
            const i = line.indexOf(":");
            fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
          }
        }
        return {
          ...(fields.id === undefined ? {} : { id: fields.id }),
          ...(fields.event === undefined ? {} : { event: fields.event }),
          ...(fields.data === undefined ? {} : { data: JSON.parse(fields.data) as Record<string, unknown> }),
          ...(comment === undefined ? {} : { comment }),
          ...(fields.retry === undefined ? {} : { retry: fields.retry }),
        };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no event in time");
      const chunk = await Promise.race([r.read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no event in time")), left))]);
      if (chunk.done) throw new Error("the stream ended");
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  /** The next event, skipping comments. */
  const event = async (): Promise<Sse> => {
    for (;;) {
      const e = await next();
      if (e.comment === undefined) return e;
    }
  };
  return { next, event, cancel: () => r.cancel() };
}
