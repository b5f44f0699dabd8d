// A TypeScript SDK server (the low-level Server, so tools/list returns the definitions exactly as written) announcing
// the tools of a JSON file, three to a page (its name and version hold line breaks YAML knows, as a hostile server's may), over Streamable HTTP with JSON responses on /mcp. Every request needs
// "Authorization: Bearer <token>", otherwise 401. Usage: node annotated-tools-server.mjs <sdk-package-dir> <port> <tools.json> <token>
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [sdkDir, port, toolsFile, token] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(sdkDir, "dist/esm", p)).href);
const { Server } = await load("server/index.js");
const { StreamableHTTPServerTransport } = await load("server/streamableHttp.js");
const { ListToolsRequestSchema, CallToolRequestSchema } = await load("types.js");
const tools = JSON.parse(readFileSync(toolsFile, "utf8"));
const PAGE = 3;

function newServer() {
  const server = new Server({ name: "Annotated Tools\u2028kind: Secret", version: "0.3.0\n---" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const index = Number(request.params?.cursor ?? "0");
    const page = tools.slice(index, index + PAGE);
    return index + PAGE < tools.length ? { tools: page, nextCursor: String(index + PAGE) } : { tools: page };
  });
  server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: "text", text: "done" }] }));
  return server;
}

const sessions = new Map();
createServer(async (req, res) => {
  if (req.headers.authorization !== `Bearer ${token}`) {
    res.writeHead(401, { "WWW-Authenticate": "Bearer", "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: "unauthorized" }));
    return;
  }
  const sessionId = req.headers["mcp-session-id"];
  let transport = sessionId ? sessions.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId) {
      res.writeHead(404);
      res.end();
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res);
}).listen(Number(port), "127.0.0.1");
