package dev.toolgate.sidecar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;

/**
 * One JSON line per decided {@code tools/call}, on the {@code toolgate.audit} log category (routed to stdout as the bare
 * line by application.properties). Arguments are recorded as the SHA-256 of their canonical JSON, never raw.
 */
@ApplicationScoped
public class AuditLog {
    public static final String CATEGORY = "toolgate.audit";
    private static final Logger LOG = Logger.getLogger(CATEGORY);

    /** Where a call went: for allowed calls the upstream status (0 if it failed) and latency; for the rest nothing. */
    public record Outcome(int upstreamStatus, long upstreamLatencyMillis) {
        public static final Outcome NOT_FORWARDED = new Outcome(-1, -1);
    }

    public void record(CallDecision call, String identity, String session, Outcome outcome) {
        LOG.info(line(Instant.now(), call, identity, session, outcome));
    }

    static String line(Instant time, CallDecision call, String identity, String session, Outcome outcome) {
        var d = call.decision();
        ObjectNode json = JsonNodeFactory.instance.objectNode()
                .put("time", time.toString())
                .put("decision", d.verdict().label())
                .put("tool", call.tool())
                .put("identity", identity == null ? "anonymous" : identity)
                .put("session", session)
                .put("rule", d.rule())
                .put("reason", d.reason())
                .put("counter", d.counter())
                .put("argumentsSha256", argumentsSha256(call.arguments()));
        json.set("requestId", call.id());
        if (outcome.upstreamStatus() >= 0) {
            json.put("upstreamStatus", outcome.upstreamStatus()).put("upstreamLatencyMs", outcome.upstreamLatencyMillis());
        }
        try {
            return JsonRpcParser.STRICT.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of the arguments' JSON with sorted keys, so equal arguments hash equal however the client spelt them. */
    static String argumentsSha256(JsonNode arguments) {
        JsonNode args = arguments == null ? JsonNodeFactory.instance.objectNode() : arguments;
        String canonical = CanonicalJson.write(args);
        return HexFormat.of().formatHex(PolicyHolder.sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    }
}
