// Calls update_amount through the sidecar with an MCP TypeScript SDK client, driven by the test over stdin/stdout: every
// event is one JSON line on stdout, every answer of the test one line on stdin.
// Usage: node elicit-call.mjs <node_modules-dir holding @modelcontextprotocol/client and /sdk> <proxy-url> <agent> <payment_id> <era> <fulfil>
//   era    modern: the SDK v2 client (@modelcontextprotocol/client), pinned to revision 2026-07-28 (server/discover,
//                  per-request _meta), declaring form elicitation;
//          legacy: the SDK v2 client with the 2025 initialize handshake, declaring form elicitation;
//          plain:  as legacy, declaring no elicitation;
//          v1:     the SDK 1.x client (@modelcontextprotocol/sdk), 2025 handshake, declaring elicitation ({})
//   fulfil auto:   the SDK fulfils "input required" itself; its elicitation handler prints {"event":"elicited","id","params"}
//                  and waits for the test's line: accept | decline | cancel (a request the server cancels prints
//                  {"event":"elicitationCancelled","id"} and takes no line)
//          manual: the first call hands back the "input required" result ({"event":"inputRequired","result"}); then each
//                  line {"requestState": "...", "action": "accept"} re-sends the call with that state and answer, and
//                  prints {"event":"resent", ...}; the line "end" ends it
// Every call ends with {"event":"done"|"resent", "result": <first text content> | "inputRequired": {...} | "error": {message, code}}.
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [modulesDir, baseUrl, agent, paymentId, era, fulfil] = process.argv.slice(2);
const v1 = era === "v1";
const module = (path) => import(pathToFileURL(join(modulesDir, path)).href);
const { Client, StreamableHTTPClientTransport } = v1
  ? { ...(await module("@modelcontextprotocol/sdk/dist/esm/client/index.js")),
      ...(await module("@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.js")) }
  : await module("@modelcontextprotocol/client/dist/index.mjs");
const KEY = "toolgate.dev/approval";

const lines = [];
const waiting = [];
createInterface({ input: process.stdin }).on("line", (line) => (waiting.length ? waiting.shift()(line) : lines.push(line)));
const nextLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((resolve) => waiting.push(resolve)));
// The next line, unless signal aborts first (then the line is left for whoever asks next).
const nextLineUnless = (signal) =>
  lines.length
    ? Promise.resolve(lines.shift())
    : new Promise((resolve, reject) => {
        const take = (line) => resolve(line);
        waiting.push(take);
        signal?.addEventListener("abort", () => {
          const at = waiting.indexOf(take);
          if (at >= 0) waiting.splice(at, 1);
          reject(new Error("cancelled"));
        });
      });
const print = (event) => console.log(JSON.stringify(event));

const client = new Client(
  { name: "toolgate-elicit-call", version: "1.0.0" },
  {
    capabilities: era === "plain" ? {} : { elicitation: v1 ? {} : { form: {} } },
    ...(era === "modern" && { versionNegotiation: { mode: { pin: "2026-07-28" } } }),
    ...(fulfil === "manual" && { inputRequired: { autoFulfill: false } }),
  },
);
const onElicit = async (request, ctx) => {
  const id = ctx?.mcpReq?.id ?? ctx?.requestId ?? null;
  const signal = ctx?.mcpReq?.signal ?? ctx?.signal;
  print({ event: "elicited", id, params: request.params });
  let action;
  try {
    action = (await nextLineUnless(signal)).trim();
  } catch {
    print({ event: "elicitationCancelled", id });
    return { action: "cancel" };
  }
  return action === "accept" ? { action, content: {} } : { action };
};
if (v1) {
  const { ElicitRequestSchema } = await module("@modelcontextprotocol/sdk/dist/esm/types.js");
  client.setRequestHandler(ElicitRequestSchema, onElicit);
} else if (era !== "plain") {
  client.setRequestHandler("elicitation/create", onElicit);
}

const outcome = (result) =>
  result?.resultType === "input_required" ? { inputRequired: result } : { result: result?.content?.[0]?.text ?? null };
const failure = (e) => ({ error: { message: String(e.message), code: e.code ?? null } });
const call = { name: "update_amount", arguments: { payment_id: paymentId, amount: 100 } };

try {
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", baseUrl), { requestInit: { headers: { "X-Agent-Id": agent } } });
  await client.connect(transport);
  print({ event: "connected", protocolVersion: client.getNegotiatedProtocolVersion?.() ?? transport.protocolVersion ?? null });
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
      const options = { timeout: 60000 };
      print({ event: "done", ...outcome(await (v1 ? client.callTool(call, undefined, options) : client.callTool(call, options))) });
    } catch (e) {
      print({ event: "done", ...failure(e) });
    }
  }
} catch (e) {
  print({ event: "failed", ...failure(e) });
}
process.exit(0);
