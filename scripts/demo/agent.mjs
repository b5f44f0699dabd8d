// A scripted agent for the demo: drives an MCP server through the official TypeScript SDK client and prints what
// happened to each call. Usage: node agent.mjs <mcp-url> <scenario.json> [identity]
// The scenario is a JSON array of steps: {"say": "...", "tool": "...", "arguments": {...}, "repeat": N}.
// With TOOLGATE_DEMO_TOKEN set, the agent sends it as its bearer token (and no identity header): the identity is then
// whatever the sidecar verified, and [identity] only names the agent in the output.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const toolsNode = process.env.TOOLGATE_NODE_DIR ?? resolve(here, "../../tools/node");
const require = createRequire(resolve(toolsNode, "package.json"));
const load = async (spec) => import(pathToFileURL(require.resolve(spec)).href);
const { Client } = await load("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = await load("@modelcontextprotocol/sdk/client/streamableHttp.js");

const [url, scenarioFile, identity = "demo-agent"] = process.argv.slice(2);
if (!url || !scenarioFile) {
  console.error("usage: node agent.mjs <mcp-url> <scenario.json> [identity]");
  process.exit(2);
}
const steps = JSON.parse(readFileSync(scenarioFile, "utf8"));

const token = process.env.TOOLGATE_DEMO_TOKEN;
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: token ? { Authorization: `Bearer ${token}` } : { "X-Agent-Id": identity } },
});
const client = new Client({ name: "toolgate-demo-agent", version: "0.1.0" });
await client.connect(transport);

const listed = await client.listTools();
console.log(`tools/list as agent "${identity}" sees it: ${listed.tools.map((t) => t.name).join(", ")}`);

const outcome = (text) => (text.length > 100 ? text.slice(0, 97) + "..." : text);
for (const step of steps) {
  if (step.say) console.log(`\n# ${step.say}`);
  const repeat = step.repeat ?? 1;
  const tally = new Map();
  for (let i = 1; i <= repeat; i++) {
    let line;
    try {
      const result = await client.callTool({ name: step.tool, arguments: step.arguments ?? {} });
      const text = (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join(" ");
      line = `${result.isError ? "tool error" : "ALLOWED"}  ${outcome(text)}`;
    } catch (e) {
      const d = e.data ?? {};
      line = `${String(d.decision ?? "error").toUpperCase()}  ${e.message}`;
    }
    if (repeat <= 3) {
      console.log(`  ${step.tool} -> ${line}`);
    } else {
      const key = line.replace(/\d+(\.\d+)? ?s(econds)?/g, "N s");
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
  }
  for (const [line, n] of tally) console.log(`  ${step.tool} x${n} -> ${line}`);
}
await client.close();
