// Calls update_amount through the sidecar with the MCP TypeScript SDK v2 client (@modelcontextprotocol/client), driven
// by the test over stdin/stdout: every event is one JSON line on stdout, every answer of the test one line on stdin.
// Usage: node elicit-call.mjs <node_modules-dir holding @modelcontextprotocol/client> <proxy-url> <agent> <payment_id> <era> <fulfil>
//   era    modern: pinned to revision 2026-07-28 (server/discover, per-request _meta), declaring form elicitation;
//          legacy: the 2025 initialize handshake (declaring elicitation too)
//   fulfil auto:   the SDK fulfils "input required" itself; its elicitation handler prints {"event":"elicited","params"}
//                  and waits for the test's line: accept | decline | cancel
//          manual: the first call hands back the "input required" result ({"event":"inputRequired","result"}); then each
//                  line {"requestState": "...", "action": "accept"} re-sends the call with that state and answer, and
//                  prints {"event":"resent", ...}; the line "end" ends it
// Every call ends with {"event":"done"|"resent", "result": <first text content> | "inputRequired": {...} | "error": {message, code}}.
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [modulesDir, baseUrl, agent, paymentId, era, fulfil] = process.argv.slice(2);
const { Client, StreamableHTTPClientTransport } = await import(
  pathToFileURL(join(modulesDir, "@modelcontextprotocol/client/dist/index.mjs")).href
);
const KEY = "toolgate.dev/approval";

const lines = [];
const waiting = [];
createInterface({ input: process.stdin }).on("line", (line) => (waiting.length ? waiting.shift()(line) : lines.push(line)));
const nextLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((resolve) => waiting.push(resolve)));
const print = (event) => console.log(JSON.stringify(event));

const client = new Client(
  { name: "toolgate-elicit-call", version: "1.0.0" },
  {
    capabilities: { elicitation: { form: {} } },
    ...(era === "modern" && { versionNegotiation: { mode: { pin: "2026-07-28" } } }),
    ...(fulfil === "manual" && { inputRequired: { autoFulfill: false } }),
  },
);
client.setRequestHandler("elicitation/create", async (request) => {
  print({ event: "elicited", params: request.params });
  const action = (await nextLine()).trim();
  return action === "accept" ? { action, content: {} } : { action };
});

const outcome = (result) =>
  result?.resultType === "input_required" ? { inputRequired: result } : { result: result?.content?.[0]?.text ?? null };
const failure = (e) => ({ error: { message: String(e.message), code: e.code ?? null } });
const call = { name: "update_amount", arguments: { payment_id: paymentId, amount: 100 } };

try {
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", baseUrl), { requestInit: { headers: { "X-Agent-Id": agent } } });
  await client.connect(transport);
  print({ event: "connected", protocolVersion: client.getNegotiatedProtocolVersion?.() ?? null });
  if (fulfil === "manual") {
    try {
      print({ event: "inputRequired", ...outcome(await client.callTool(call, { allowInputRequired: true })) });
    } catch (e) {
      print({ event: "inputRequired", ...failure(e) });
    }
    for (let line = await nextLine(); line.trim() !== "end"; line = await nextLine()) {
      const { requestState, action } = JSON.parse(line);
      const resent = { ...call, requestState, inputResponses: { [KEY]: action === "accept" ? { action, content: {} } : { action } } };
      try {
        print({ event: "resent", ...outcome(await client.callTool(resent, { allowInputRequired: true })) });
      } catch (e) {
        print({ event: "resent", ...failure(e) });
      }
    }
  } else {
    try {
      print({ event: "done", ...outcome(await client.callTool(call, { timeout: 60000 })) });
    } catch (e) {
      print({ event: "done", ...failure(e) });
    }
  }
} catch (e) {
  print({ event: "failed", ...failure(e) });
}
process.exit(0);
