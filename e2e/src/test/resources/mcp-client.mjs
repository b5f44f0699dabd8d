// The in-cluster MCP client of the KT tier: raw Streamable HTTP JSON-RPC with Node's fetch (what any SDK client sends).
// KT_SPEC: {"targets": ["http://host:port/mcp", ...], "calls": [{"name": "echo", "arguments": {...}, "agent": "a"}, ...]}
// For every target: initialize, notifications/initialized, then each call; one line per step:
//   KT-RESULT {"target": ..., "stage": "initialize"|"call"|"connect", "call": i, "status": http, "response": {...}, "text": ...}
import http from "node:http";

const spec = JSON.parse(process.env.KT_SPEC);
const out = (o) => console.log("KT-RESULT " + JSON.stringify(o));

async function post(url, body, session, extra = {}) {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", ...extra };
  if (session) { headers["mcp-session-id"] = session; headers["mcp-protocol-version"] = "2025-06-18"; }
  const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(15000) });
  const text = await r.text();
  let msg = null;
  const ct = r.headers.get("content-type") || "";
  if (ct.includes("text/event-stream")) {
    for (const line of text.split(/\r?\n/)) {
      if (!line.startsWith("data:")) continue;
      try { const m = JSON.parse(line.slice(5)); if (m.id === body.id) msg = m; } catch {}
    }
  } else if (text) {
    try { msg = JSON.parse(text); } catch {}
  }
  return { status: r.status, session: r.headers.get("mcp-session-id"), msg, text: text.slice(0, 400) };
}

// KT_SPEC.sessions: {"target": url, "calls": [...]}: each call in a session of its own on a TCP connection of its own
// (an agent of one connection, closed after the call), so a Service balances the calls over its pods; one line each:
//   KT-RESULT {"target": url, "stage": "call"|"initialize"|"connect", "call": i, "status": http, "response": {...}}
function postOn(agent, url, body, session, extra = {}) {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", ...extra };
  if (session) { headers["mcp-session-id"] = session; headers["mcp-protocol-version"] = "2025-06-18"; }
  const payload = JSON.stringify(body);
  headers["content-length"] = Buffer.byteLength(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers, agent, timeout: 15000 }, (r) => {
      let text = "";
      r.setEncoding("utf8");
      r.on("data", (d) => { text += d; });
      r.on("end", () => {
        let msg = null;
        for (const line of text.split(/\r?\n/)) {
          const data = line.startsWith("data:") ? line.slice(5) : line;
          try { const m = JSON.parse(data); if (m.id === body.id) msg = m; } catch {}
        }
        resolve({ status: r.statusCode, session: r.headers["mcp-session-id"], msg, text: text.slice(0, 400) });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout after 15 s")));
    req.on("error", reject);
    req.end(payload);
  });
}

if (spec.sessions) {
  const { target, calls } = spec.sessions;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const init = await postOn(agent, target, { jsonrpc: "2.0", id: 0, method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "toolgate-kt", version: "1" } } });
      if (!init.msg || !init.msg.result) { out({ target, stage: "initialize", call: i, status: init.status, response: init.msg, text: init.text }); continue; }
      await postOn(agent, target, { jsonrpc: "2.0", method: "notifications/initialized" }, init.session);
      const r = await postOn(agent, target, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: c.name, arguments: c.arguments || {} } },
        init.session, c.agent ? { "x-agent-id": c.agent } : {});
      out({ target, stage: "call", call: i, status: r.status, response: r.msg, text: r.text });
    } catch (e) {
      out({ target, stage: "connect", call: i, error: String(e && e.cause ? e.cause : e) });
    } finally {
      agent.destroy();
    }
  }
}

// KT_SPEC.scrape: plain GETs (metrics, health) of URLs inside the cluster; one line each:
//   KT-RESULT {"target": url, "stage": "scrape", "status": http, "body": ...}
for (const url of spec.scrape || []) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(15000) });
    out({ target: url, stage: "scrape", status: r.status, body: await r.text() });
  } catch (e) {
    out({ target: url, stage: "connect", error: String(e && e.cause ? e.cause : e) });
  }
}

for (const target of spec.targets || []) {
  try {
    const init = await post(target, { jsonrpc: "2.0", id: 0, method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "toolgate-kt", version: "1" } } });
    if (!init.msg || !init.msg.result) { out({ target, stage: "initialize", status: init.status, response: init.msg, text: init.text }); continue; }
    await post(target, { jsonrpc: "2.0", method: "notifications/initialized" }, init.session);
    for (let i = 0; i < spec.calls.length; i++) {
      const c = spec.calls[i];
      const r = await post(target, { jsonrpc: "2.0", id: i + 1, method: "tools/call", params: { name: c.name, arguments: c.arguments || {} } },
        init.session, c.agent ? { "x-agent-id": c.agent } : {});
      out({ target, stage: "call", call: i, status: r.status, response: r.msg, text: r.text });
    }
  } catch (e) {
    out({ target, stage: "connect", error: String(e && e.cause ? e.cause : e) });
  }
}
