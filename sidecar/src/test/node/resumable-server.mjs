// A stock TypeScript SDK Streamable HTTP server with an in-memory event store of its own, so streams can be resumed with
// Last-Event-ID and the server replays what it sent before. Tools: echo, get-sum and get-env (which the test policy
// hides). Usage: node resumable-server.mjs <sdk-package-dir> <port>
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [sdkDir, port] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(sdkDir, "dist/esm", p)).href);
const { McpServer } = await load("server/mcp.js");
const { StreamableHTTPServerTransport } = await load("server/streamableHttp.js");

// The SDK's example store orders events by "<stream>_<Date.now()>_<random>", so two events of one millisecond (a
// stream's priming event and its result) replay in random order; this one keeps the order they were stored in.
class OrderedEventStore {
  constructor() {
    this.events = []; // { eventId, streamId, message }, in the order stored
    this.seq = 0;
  }
  async storeEvent(streamId, message) {
    const eventId = `${streamId}_${String(++this.seq).padStart(12, "0")}`;
    this.events.push({ eventId, streamId, message });
    return eventId;
  }
  async getStreamIdForEventId(eventId) {
    return this.events.find((e) => e.eventId === eventId)?.streamId;
  }
  async replayEventsAfter(lastEventId, { send }) {
    const at = this.events.findIndex((e) => e.eventId === lastEventId);
    if (at < 0) {
      return "";
    }
    const streamId = this.events[at].streamId;
    for (const e of this.events.slice(at + 1)) {
      if (e.streamId === streamId) {
        await send(e.eventId, e.message);
      }
    }
    return streamId;
  }
}

const text = (value) => ({ content: [{ type: "text", text: value }] });

function newServer() {
  const server = new McpServer({ name: "toolgate-resumable-test", version: "1.0.0" });
  server.registerTool("echo", { description: "Echoes nothing back" }, async () => text("echo"));
  server.registerTool("get-sum", { description: "Adds nothing" }, async () => text("0"));
  server.registerTool("get-env", { description: "Would print the environment" }, async () => text("SECRET=1"));
  return server;
}

const sessions = new Map();

createServer(async (req, res) => {
  const sessionId = req.headers["mcp-session-id"];
  let transport = sessionId ? sessions.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }));
      return;
    }
    // No session yet: the transport accepts only an initialize request here and creates the session.
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new OrderedEventStore(),
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res);
}).listen(Number(port), "127.0.0.1");
