// A payments server written with the MCP TypeScript SDK v2 (@modelcontextprotocol/server), which serves the 2026-07-28
// revision (per-request _meta envelope, stateless) and, for older clients, 2025-era stateless Streamable HTTP. It counts
// what it runs and records the params of every tools/call it received, so a test can tell how often an approved call ran
// and that nothing of Toolgate's (its requestState, its inputResponses entry) reached the server.
// GET /control/runs answers {"<payment_id>": <times update_amount ran for it>}; GET /control/received answers
// [<params of each tools/call received>, ...]. MCP on /mcp.
// Usage: node modern-payments-server.mjs <node_modules-dir holding @modelcontextprotocol/server> <port>
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [modulesDir, port] = process.argv.slice(2);
const { McpServer, createMcpHandler, fromJsonSchema } = await import(
  pathToFileURL(join(modulesDir, "@modelcontextprotocol/server/dist/index.mjs")).href
);

const runs = {};
const received = [];

function newServer() {
  const server = new McpServer({ name: "toolgate-modern-payments", version: "1.0.0" });
  server.registerTool(
    "get_payment",
    {
      description: "Reads a payment",
      inputSchema: fromJsonSchema({ type: "object", properties: { payment_id: { type: "string" } } }),
    },
    async (args) => ({ content: [{ type: "text", text: `payment ${args.payment_id}` }] }),
  );
  server.registerTool(
    "update_amount",
    {
      description: "Changes a payment's amount",
      inputSchema: fromJsonSchema({
        type: "object",
        properties: { payment_id: { type: "string" }, amount: { type: "number" } },
        required: ["payment_id", "amount"],
      }),
    },
    async (args) => {
      runs[args.payment_id] = (runs[args.payment_id] ?? 0) + 1;
      return { content: [{ type: "text", text: `payment ${args.payment_id}: amount set to ${args.amount} (run ${runs[args.payment_id]})` }] };
    },
  );
  return server;
}

const handler = createMcpHandler(newServer);

function record(body) {
  try {
    const parsed = JSON.parse(body);
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      if (message && message.method === "tools/call") {
        received.push(message.params ?? null);
      }
    }
  } catch {
    // not JSON: the SDK answers it
  }
}

createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname === "/control/runs" || url.pathname === "/control/received") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(url.pathname === "/control/runs" ? runs : received));
    return;
  }
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (req.method === "POST") {
    record(body.toString("utf8"));
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) {
        headers.append(name, v);
      }
    }
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && body.length > 0;
  try {
    const response = await handler.fetch(new Request(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers, body: hasBody ? body : undefined }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) {
      for await (const chunk of response.body) {
        res.write(chunk);
      }
    }
    res.end();
  } catch (e) {
    res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(String(e));
  }
}).listen(Number(port), "127.0.0.1");
