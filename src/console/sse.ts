/**
 * A server-sent events parser, part of `/console/app.js` (prepended to the console script like load-series.ts; no
 * build step). The console reads `GET /v1/watch/{key}` with fetch() and `response.body.getReader()` rather than
 * EventSource, because EventSource cannot send the `Authorization: Bearer` header a server with tokens needs (and a
 * token in the URL would end up in logs). This is the reading half of EventSource, after the WHATWG "event stream
 * interpretation": lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next are
 * one line end); a line starting with ":" is a comment; "field: value" loses one space after the colon; data lines
 * join with "\n"; a blank line dispatches the event (none when it has no data); `id` persists across events (and one
 * holding NUL is ignored); `retry` takes digits only. Plain ES5-style script, no template literals, so it can live
 * in this String.raw literal; test/console/sse.test.ts runs it in node:vm.
 */
export const SSE_JS = String.raw`
var BallotSse = (function () {
  "use strict";

  /**
   * A parser: push(chunk) with the body's chunks as they arrive (Uint8Array, decoded here as UTF-8 across chunk
   * boundaries, or already decoded text), end() when the body ends (a last event without its blank line is dropped,
   * as EventSource does). Calls on.event({ type, data, id }) per event (type "message" when the stream names none),
   * on.comment(text) per comment line, on.retry(ms) per valid retry field. Answers { push, end, lastEventId }.
   */
  function create(on) {
    var handlers = on || {};
    var decoder = null;
    var buffer = "";
    var first = true;
    var data = [];
    var type = "";
    var lastId = "";
    var parser = { push: push, end: end, lastEventId: function () { return lastId; } };

    function dispatch() {
      if (data.length === 0) { type = ""; return; }
      var event = { type: type === "" ? "message" : type, data: data.join("\n"), id: lastId };
      data = [];
      type = "";
      if (handlers.event) handlers.event(event);
    }

    function line(text) {
      if (text === "") { dispatch(); return; }
      if (text.charAt(0) === ":") {
        if (handlers.comment) handlers.comment(text.slice(1).replace(/^ /, ""));
        return;
      }
      var colon = text.indexOf(":");
      var field = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? "" : text.slice(colon + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "event") type = value;
      else if (field === "id") { if (value.indexOf("\u0000") < 0) lastId = value; }
      else if (field === "retry") { if (/^\d+$/.test(value) && handlers.retry) handlers.retry(Number(value)); }
      // Any other field is ignored.
    }

    function push(chunk) {
      var text;
      if (typeof chunk === "string") text = chunk;
      else {
        if (decoder === null) decoder = new TextDecoder("utf-8");
        text = decoder.decode(chunk, { stream: true });
      }
      if (first && text !== "") {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark opens the stream at most once
      }
      buffer += text;
      var start = 0;
      for (var i = 0; i < buffer.length; i++) {
        var c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        // A CR last in what arrived so far may be half of a CRLF: wait for the next chunk to say.
        if (c === 13 && i === buffer.length - 1) break;
        line(buffer.slice(start, i));
        if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    }

    function end() {
      if (decoder !== null) buffer += decoder.decode();
      // A trailing CR ends its line; whatever follows the last line end is an unfinished line and is dropped.
      if (buffer.length > 0 && buffer.charCodeAt(buffer.length - 1) === 13) line(buffer.slice(0, -1));
      buffer = "";
      data = [];
      type = "";
    }

    return parser;
  }

  return { create: create };
})();
`;
