// A small payments MCP server for the demo, in the spirit of an AP2 (Agent Payments Protocol) merchant: it can read
// payments and change their amount (update_amount, the seed policy's tool). Streamable HTTP on $PORT (default 3002),
// stateless, on the official MCP TypeScript SDK. Payments live in memory.
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const payments = new Map([
  ["pay_1001", { id: "pay_1001", customer: "cus_ada", amount: 4200, currency: "EUR" }],
  ["pay_1002", { id: "pay_1002", customer: "cus_grace", amount: 1999, currency: "EUR" }],
]);
const text = (value) => ({ content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value) }] });

function server() {
  const mcp = new McpServer({ name: "payments-demo", version: "1.0.0" });
  mcp.registerTool("list_payments", { description: "List the payments", annotations: { readOnlyHint: true } },
    async () => text([...payments.values()]));
  mcp.registerTool("get_payment", {
    description: "Read one payment", inputSchema: { payment_id: z.string() }, annotations: { readOnlyHint: true },
  }, async ({ payment_id }) => payments.has(payment_id) ? text(payments.get(payment_id)) : { ...text(`no payment ${payment_id}`), isError: true });
  mcp.registerTool("update_amount", {
    description: "Change the amount of a payment (in cents)",
    inputSchema: { payment_id: z.string(), amount: z.number().int().positive() },
    annotations: { destructiveHint: true },
  }, async ({ payment_id, amount }) => {
    const payment = payments.get(payment_id);
    if (!payment) return { ...text(`no payment ${payment_id}`), isError: true };
    const before = payment.amount;
    payment.amount = amount;
    return text(`payment ${payment_id}: amount ${before} -> ${amount} ${payment.currency} cents`);
  });
  return mcp;
}

const port = Number(process.env.PORT ?? 3002);
createServer(async (req, res) => {
  if (!req.url.startsWith("/mcp")) {
    res.writeHead(404).end();
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  const mcp = server();
  res.on("close", () => { transport.close(); mcp.close(); });
  await mcp.connect(transport);
  await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
}).listen(port, "0.0.0.0", () => console.log(`payments MCP server on :${port}/mcp`));
