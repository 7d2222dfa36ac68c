/** One message of a text/event-stream: its `event` ("message" when unnamed), `data` lines joined, and `id` if any. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/** The messages of a server-sent events body, as the EventSource rules parse them (comments skipped). */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncIterableIterator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = parse(block);
        if (message !== null) yield message;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function parse(block: string): SseMessage | null {
  let event = "message";
  let data: string | null = null;
  let id: string | undefined;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data = data === null ? value : `${data}\n${value}`;
    else if (field === "id") id = value;
  }
  if (data === null && id === undefined && event === "message") return null;
  return { event, data: data ?? "", ...(id === undefined ? {} : { id }) };
}
