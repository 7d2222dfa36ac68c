/**
 * The console's server-sent events parser (src/console/sse.ts) run as the browser runs it: the script evaluated in
 * node:vm, fed a stream in chunks cut anywhere, its events read back.
 */
import { Script, createContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { SSE_JS } from "../../src/console/sse.js";

interface SseEvent {
  type: string;
  data: string;
  id: string;
}
interface Parser {
  push(chunk: string | Uint8Array): void;
  end(): void;
  lastEventId(): string;
}
interface SseModule {
  create(on: { event?: (e: SseEvent) => void; comment?: (text: string) => void; retry?: (ms: number) => void }): Parser;
}

function load(): SseModule {
  const context = createContext({ TextDecoder });
  new Script(SSE_JS + "\nthis.module = BallotSse;").runInContext(context);
  return (context as { module: SseModule }).module;
}
const sse = load();

/** Everything a stream fed in these chunks produced, in order. */
function run(chunks: (string | Uint8Array)[]): { events: SseEvent[]; comments: string[]; retries: number[]; log: string[] } {
  const out = { events: [] as SseEvent[], comments: [] as string[], retries: [] as number[], log: [] as string[] };
  const parser = sse.create({
    event: (e) => {
      // Copied out of the vm's realm so toEqual compares plain objects.
      out.events.push({ type: e.type, data: e.data, id: e.id });
      out.log.push(`event ${e.type}`);
    },
    comment: (text) => {
      out.comments.push(text);
      out.log.push(`comment ${text}`);
    },
    retry: (ms) => out.retries.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return out;
}

/** The same text cut at every position into two chunks, and one character at a time. */
function everySplit(text: string): string[][] {
  const cuts = Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
  return [...cuts, [...text]];
}

/** What the server sends (src/http/watch.ts): an opening comment, events, heartbeats. */
const WATCH_STREAM =
  ": watching\n\n" +
  'id: 4\nevent: put\ndata: {"key":"greeting","version":4,"contentType":"text/plain","value":"hello"}\n\n' +
  ": heartbeat\n\n" +
  'id: 5\nevent: delete\ndata: {"key":"greeting","version":5}\n\n';

const WATCH_EVENTS: SseEvent[] = [
  { type: "put", data: '{"key":"greeting","version":4,"contentType":"text/plain","value":"hello"}', id: "4" },
  { type: "delete", data: '{"key":"greeting","version":5}', id: "5" },
];

describe("the console's server-sent events parser", () => {
  it("reads the watch stream: events with their type, id and data, comments on their own", () => {
    const out = run([WATCH_STREAM]);
    expect(out.events).toEqual(WATCH_EVENTS);
    expect(out.comments).toEqual(["watching", "heartbeat"]);
    expect(out.log).toEqual(["comment watching", "event put", "comment heartbeat", "event delete"]);
  });

  it("gives the same events however the stream is cut into chunks", () => {
    for (const chunks of everySplit(WATCH_STREAM)) {
      const out = run(chunks);
      expect(out.events, JSON.stringify(chunks.slice(0, 2))).toEqual(WATCH_EVENTS);
      expect(out.comments).toEqual(["watching", "heartbeat"]);
    }
  });

  it("decodes UTF-8 split inside a character across chunks", () => {
    const bytes = new TextEncoder().encode('event: put\ndata: {"value":"h\u00e9llo \u{1F600}"}\n\n');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const out = run([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(out.events.map((e) => e.data), `cut at ${cut}`).toEqual(['{"value":"h\u00e9llo \u{1F600}"}']);
    }
    // A byte order mark opening the stream is not part of the first field name.
    expect(run([new Uint8Array([0xef, 0xbb, 0xbf]), new TextEncoder().encode("data: x\n\n")]).events).toEqual([{ type: "message", data: "x", id: "" }]);
  });

  it("ends lines at CRLF, LF or CR, and takes a CR at a chunk's end and an LF at the next one's start as one line end", () => {
    const crlf = WATCH_STREAM.replace(/\n/g, "\r\n");
    const cr = WATCH_STREAM.replace(/\n/g, "\r");
    for (const text of [crlf, cr]) {
      for (const chunks of everySplit(text)) {
        const out = run(chunks);
        expect(out.events, JSON.stringify(chunks.slice(0, 2))).toEqual(WATCH_EVENTS);
        expect(out.comments).toEqual(["watching", "heartbeat"]);
      }
    }
    // Were "\r" + "\n" read as two line ends, the blank line between them would dispatch "a" on its own.
    expect(run(["data: a\r", "\ndata: b\r\n\r\n"]).events).toEqual([{ type: "message", data: "a\nb", id: "" }]);
    expect(run(["data: a\n\r\n", "data: b\r\r"]).events.map((e) => e.data)).toEqual(["a", "b"]);
  });

  it("joins multi-line data with newlines, and dispatches nothing for a block without data", () => {
    const out = run(["event: put\ndata: line one\ndata:line two\ndata\ndata:  indented\n\n", "event: lonely\nid: 9\n\n", "data: after\n\n"]);
    expect(out.events).toEqual([
      { type: "put", data: "line one\nline two\n\n indented", id: "" },
      // The id of a block without data still becomes the last event id; its type does not carry over.
      { type: "message", data: "after", id: "9" },
    ]);
  });

  it("keeps the last id across events, ignores an id holding NUL, and takes digit-only retry values", () => {
    const events: SseEvent[] = [];
    const retries: number[] = [];
    const parser = sse.create({ event: (e) => events.push({ ...e }), retry: (ms) => retries.push(ms) });
    parser.push("id: 7\ndata: a\n\ndata: b\n\nid: 8\u0000\ndata: c\n\nretry: 2500\nretry: soon\nretry: 1.5\nunknown: x\ndata: d\n\n");
    expect(events.map((e) => [e.data, e.id])).toEqual([["a", "7"], ["b", "7"], ["c", "7"], ["d", "7"]]);
    expect(parser.lastEventId()).toBe("7");
    expect(retries).toEqual([2500]);
    parser.push("id\ndata: e\n\n"); // an empty id resets it
    expect(events.at(-1)).toEqual({ type: "message", data: "e", id: "" });
  });

  it("comments: with or without a space, anywhere, never an event; a colon in a value stays", () => {
    const out = run([":\n: heartbeat\n:no space\ndata: {\"a\":\"b: c\"}\n: inside an event\n\n"]);
    expect(out.comments).toEqual(["", "heartbeat", "no space", "inside an event"]);
    expect(out.events).toEqual([{ type: "message", data: '{"a":"b: c"}', id: "" }]);
  });

  it("drops an event cut off by the end of the stream (a dropped connection), as EventSource does", () => {
    const out = run(['id: 4\nevent: put\ndata: {"version":4}\n\nid: 5\nevent: put\ndata: {"version":5}\n']);
    expect(out.events.map((e) => e.id)).toEqual(["4"]);
  });
});
