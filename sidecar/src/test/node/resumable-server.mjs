// A stock TypeScript SDK Streamable HTTP server with an in-memory event store, so streams can be resumed with
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
const { InMemoryEventStore } = await load("examples/shared/inMemoryEventStore.js");

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
      eventStore: new InMemoryEventStore(),
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res);
}).listen(Number(port), "127.0.0.1");
