// Drives the TypeScript MCP SDK through the sidecar and prints one JSON line of what the caller saw.
// Usage: node ts-client.mjs <sdk-package-dir> <proxy-url> <transport: streamable|sse> <agent> [bearer-token]
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [sdkDir, baseUrl, transportKind, agent, token] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(sdkDir, "dist/esm", p)).href);
const { Client } = await load("client/index.js");
const headers = token ? { "X-Agent-Id": agent, Authorization: `Bearer ${token}` } : { "X-Agent-Id": agent };
let transport;
if (transportKind === "sse") {
  const { SSEClientTransport } = await load("client/sse.js");
  transport = new SSEClientTransport(new URL("/sse", baseUrl), { requestInit: { headers }, eventSourceInit: { fetch: (u, i) => fetch(u, { ...i, headers: { ...i?.headers, ...headers } }) } });
} else {
  const { StreamableHTTPClientTransport } = await load("client/streamableHttp.js");
  transport = new StreamableHTTPClientTransport(new URL("/mcp", baseUrl), { requestInit: { headers } });
}
const client = new Client({ name: "toolgate-ts-test", version: "1.0.0" });
const out = {};
try {
  await client.connect(transport);
  const echo = await client.callTool({ name: "echo", arguments: { message: "from typescript" } });
  out.echo = echo.content?.[0]?.text ?? null;
  try {
    await client.callTool({ name: "get-env", arguments: {} });
    out.denied = null;
  } catch (e) {
    out.denied = { message: String(e.message), code: e.code ?? null, data: e.data ?? null };
  }
  const tools = await client.listTools();
  out.tools = tools.tools.map((t) => t.name);
} catch (e) {
  out.failure = String(e?.stack ?? e);
} finally {
  await client.close().catch(() => {});
}
console.log(JSON.stringify(out));
