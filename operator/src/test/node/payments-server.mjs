// A TypeScript SDK server with the AP2 seed's payment tools, which records every call it executes, so a test can tell
// how often an approved call ran: update_amount answers "payment <id>: amount set to <amount> (run <n>)".
// GET /control/runs answers {"<payment_id>": <times update_amount ran for it>, "refund:<payment_id>": <refunds>, "close_payment:<payment_id>": ...};
// GET /control/responses answers every JSON-RPC response a client POSTed (answers to the server's own requests). Streamable HTTP on /mcp.
// Usage: node payments-server.mjs <sdk-package-dir> <port>
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [sdkDir, port] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(sdkDir, "dist/esm", p)).href);
const { Server } = await load("server/index.js");
const { StreamableHTTPServerTransport } = await load("server/streamableHttp.js");
const { ListToolsRequestSchema, CallToolRequestSchema } = await load("types.js");

const tools = [
  { name: "get_payment", description: "Reads a payment", inputSchema: { type: "object", properties: { payment_id: { type: "string" } } } },
  {
    name: "update_amount",
    description: "Changes a payment's amount",
    inputSchema: { type: "object", properties: { payment_id: { type: "string" }, amount: { type: "number" } }, required: ["payment_id", "amount"] },
  },
  {
    name: "refund",
    description: "Refunds a payment",
    inputSchema: { type: "object", properties: { payment_id: { type: "string" } }, required: ["payment_id"] },
  },
  {
    name: "close_payment",
    description: "Closes a payment",
    inputSchema: { type: "object", properties: { payment_id: { type: "string" } }, required: ["payment_id"] },
  },
];
const runs = {};

function newServer() {
  const server = new Server({ name: "toolgate-payments", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const args = request.params.arguments ?? {};
    if (request.params.name === "update_amount") {
      runs[args.payment_id] = (runs[args.payment_id] ?? 0) + 1;
      return { content: [{ type: "text", text: `payment ${args.payment_id}: amount set to ${args.amount} (run ${runs[args.payment_id]})` }] };
    }
    if (request.params.name === "refund" || request.params.name === "close_payment") {
      const key = `${request.params.name}:${args.payment_id}`;
      runs[key] = (runs[key] ?? 0) + 1;
      return { content: [{ type: "text", text: `payment ${args.payment_id}: ${request.params.name} done` }] };
    }
    return { content: [{ type: "text", text: `payment ${args.payment_id}` }] };
  });
  return server;
}

const streams = new Map();
const responses = [];
createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (url.pathname === "/control/runs" || url.pathname === "/control/responses") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(url.pathname === "/control/runs" ? runs : responses));
    return;
  }
  let parsedBody;
  if (req.method === "POST") {
    const chunks = [];
    for await (const chunk of req) {
      chunks.push(chunk);
    }
    try {
      parsedBody = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const message of Array.isArray(parsedBody) ? parsedBody : [parsedBody]) {
        if (message && message.method === undefined && message.id !== undefined) {
          responses.push(message);
        }
      }
    } catch {
      parsedBody = undefined; // not JSON: the transport answers it
    }
  }
  const sessionId = req.headers["mcp-session-id"];
  let transport = sessionId ? streams.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }));
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => streams.set(id, transport),
    });
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res, parsedBody);
}).listen(Number(port), "127.0.0.1");
