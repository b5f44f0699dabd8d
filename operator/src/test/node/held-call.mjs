// Calls update_amount once through the sidecar with the TypeScript MCP SDK, with a progress token and a request
// timeout, and prints one JSON line of what it saw: the result or the error, and every progress notification.
// Usage: node held-call.mjs <sdk-package-dir> <proxy-url> <agent> <payment_id> <timeout-ms> <reset-timeout-on-progress: true|false> [abort-after-ms]
// With abort-after-ms the call is aborted (AbortSignal: the SDK sends notifications/cancelled) and the process stays
// 1.5 s longer, so the cancellation reaches the sidecar; otherwise it exits right after, so a call still held by the
// sidecar loses its client (the connection closes; a timeout's own cancellation may or may not get out first).
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [sdkDir, baseUrl, agent, paymentId, timeout, reset, abortAfter] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(sdkDir, "dist/esm", p)).href);
const { Client } = await load("client/index.js");
const { StreamableHTTPClientTransport } = await load("client/streamableHttp.js");
const transport = new StreamableHTTPClientTransport(new URL("/mcp", baseUrl), { requestInit: { headers: { "X-Agent-Id": agent } } });
const client = new Client({ name: "toolgate-held-call", version: "1.0.0" });
const out = { progress: [] };
const started = Date.now();
const abort = new AbortController();
if (abortAfter) {
  setTimeout(() => abort.abort("the agent stopped waiting"), Number(abortAfter));
}
try {
  await client.connect(transport);
  const result = await client.callTool({ name: "update_amount", arguments: { payment_id: paymentId, amount: 100 } }, undefined, {
    timeout: Number(timeout),
    resetTimeoutOnProgress: reset === "true",
    onprogress: (p) => out.progress.push(p),
    signal: abort.signal,
  });
  out.result = result.content?.[0]?.text ?? null;
} catch (e) {
  out.error = { message: String(e.message), code: e.code ?? null };
}
out.elapsedMs = Date.now() - started;
console.log(JSON.stringify(out));
if (abortAfter) {
  await new Promise((resolve) => setTimeout(resolve, 1500));
}
process.exit(0);
