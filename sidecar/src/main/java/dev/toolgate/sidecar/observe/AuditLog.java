package dev.toolgate.sidecar.observe;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.mcp.JsonRpcParser;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.ArgumentsDigest;
import jakarta.inject.Singleton;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One JSON line per decided {@code tools/call}, on stdout (or the file {@code toolgate.audit-log} names), written in
 * batches by {@link AuditWriter}. Arguments are recorded as the SHA-256 of their canonical JSON, never raw.
 */
@Singleton // no client proxy: these run on every request
public class AuditLog {
    /** Where a call went: for allowed calls the upstream status (0 if it failed) and latency; for the rest nothing. */
    public record Outcome(int upstreamStatus, long upstreamLatencyMillis) {
        public static final Outcome NOT_FORWARDED = new Outcome(-1, -1);
    }

    /**
     * What every line of a request carries besides the call: the McpPolicy (and its namespace) the sidecar enforces,
     * the request's {@link RequestFacts}, and the client the session's {@code initialize} named. Absent parts are
     * left out of the line.
     */
    public record LineContext(String policy, String namespace, String source, String traceId, String clientName, String clientVersion) {
        public static final LineContext NONE = new LineContext(null, null, null, null, null, null);
    }

    private final AuditWriter writer;
    private final String policy;
    private final String namespace;
    private final SessionClients clients;

    @Inject
    public AuditLog(SidecarConfig config, SessionClients clients) throws IOException {
        this.policy = config.policyName().orElse(null);
        this.namespace = config.policyNamespace().orElse(null);
        this.clients = clients;
        String target = config.auditLog();
        OutputStream out = target.equals("stdout") ? new FileOutputStream(FileDescriptor.out)
                : Files.newOutputStream(Path.of(target), StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        this.writer = new AuditWriter(out);
    }

    @PreDestroy
    void close() {
        writer.close();
    }

    public void record(CallDecision call, String identity, String session, Outcome outcome, RequestFacts facts) {
        writer.write(lineBytes(Instant.now(), call, identity, session, outcome, context(session, facts)));
    }

    private LineContext context(String session, RequestFacts facts) {
        SessionClients.Client client = clients.of(session);
        RequestFacts f = facts == null ? RequestFacts.NONE : facts;
        return new LineContext(policy, namespace, f.source(), f.traceId(), client == null ? null : client.name(),
                client == null ? null : client.version());
    }

    /**
     * One line for a request or server message refused before any policy decision (see {@link RefusalReason}):
     * {@code {"time","decision":"refused","reason","detail","identity","session","method","path"}}.
     */
    public void refused(RefusalReason reason, String detail, String identity, String session, String method, String path, RequestFacts facts) {
        writer.write((refusedLine(Instant.now(), reason, detail, identity, session, method, path, context(session, facts)) + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One line when a pinned tool's announced definition moves away from its pin, or back to it:
     * {@code {"time","decision":"definition_changed"|"definition_restored","tool","pin","previous","announced","reason"}}
     * and the policy's names. Not a call: no identity, session or arguments.
     */
    public void definitionChanged(String tool, String pin, String previous, String announced) {
        writer.write((definitionLine(Instant.now(), tool, pin, previous, announced, new LineContext(policy, namespace, null, null, null, null))
                + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One line when the server's {@code notifications/tools/list_changed} makes pinned tools unverified:
     * {@code {"time","decision":"definitions_unverified","tools":[…],"reason"}} and the policy's names.
     */
    public void definitionsUnverified(java.util.List<String> tools) {
        writer.write((unverifiedLine(Instant.now(), tools, new LineContext(policy, namespace, null, null, null, null)) + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    static String unverifiedLine(Instant time, java.util.List<String> tools, LineContext context) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JsonRpcParser.STRICT.getFactory().createGenerator(out)) {
            begin(json, time);
            json.writeStringField("decision", "definitions_unverified");
            json.writeArrayFieldStart("tools");
            for (String tool : tools) {
                json.writeString(tool);
            }
            json.writeEndArray();
            json.writeStringField("reason", "the server announced notifications/tools/list_changed: these pinned tools are denied"
                    + " until a tools/list result announces their definitions again");
            writeContext(json, context);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * One line when a tools/list result announces a pinned tool unverified since list_changed:
     * {@code {"time","decision":"definition_reverified","result":"verified"|"changed","tool","pin","announced","reason"}}.
     */
    public void definitionReverified(String tool, String pin, String announced, boolean matches) {
        writer.write((reverifiedLine(Instant.now(), tool, pin, announced, matches, new LineContext(policy, namespace, null, null, null, null))
                + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static String reverifiedLine(Instant time, String tool, String pin, String announced, boolean matches, LineContext context) {
        StringWriter out = new StringWriter(384);
        try (JsonGenerator json = JsonRpcParser.STRICT.getFactory().createGenerator(out)) {
            begin(json, time);
            json.writeStringField("decision", "definition_reverified");
            json.writeStringField("result", matches ? "verified" : "changed");
            json.writeStringField("tool", tool);
            json.writeStringField("pin", pin);
            json.writeStringField("announced", announced);
            json.writeStringField("reason", matches
                    ? "after notifications/tools/list_changed, a tools/list result announces the pinned definition: the tool is callable again"
                    : "after notifications/tools/list_changed, a tools/list result announces another definition than the pinned one: the tool stays denied");
            writeContext(json, context);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static String definitionLine(Instant time, String tool, String pin, String previous, String announced, LineContext context) {
        boolean restored = announced.equals(pin);
        StringWriter out = new StringWriter(384);
        try (JsonGenerator json = JsonRpcParser.STRICT.getFactory().createGenerator(out)) {
            begin(json, time);
            json.writeStringField("decision", restored ? "definition_restored" : "definition_changed");
            json.writeStringField("tool", tool);
            json.writeStringField("pin", pin);
            json.writeStringField("previous", previous);
            json.writeStringField("announced", announced);
            json.writeStringField("reason", restored
                    ? "the server announces the pinned definition again: the tool is listed and callable"
                    : "the server announces a definition other than the pinned one: the tool is hidden from tools/list and its calls are denied");
            writeContext(json, context);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static String refusedLine(Instant time, RefusalReason reason, String detail, String identity, String session, String method, String path) {
        return refusedLine(time, reason, detail, identity, session, method, path, LineContext.NONE);
    }

    static String refusedLine(Instant time, RefusalReason reason, String detail, String identity, String session, String method, String path,
            LineContext context) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JsonRpcParser.STRICT.getFactory().createGenerator(out)) {
            begin(json, time);
            json.writeStringField("decision", "refused");
            json.writeStringField("reason", reason.label());
            json.writeStringField("detail", detail);
            json.writeStringField("identity", identity == null ? "anonymous" : identity);
            json.writeStringField("session", session);
            json.writeStringField("method", method);
            json.writeStringField("path", path);
            writeContext(json, context);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * The line as UTF-8 with its newline, written by a UTF-8 generator straight into bytes (no String, no second
     * encoding pass). Jackson's UTF-8 generator would write an unpaired surrogate as invalid UTF-8, so a line with
     * any surrogate in its strings (rare) takes the String route, whose encoding writes '?' as it always did.
     */
    static byte[] lineBytes(Instant time, CallDecision call, String identity, String session, Outcome outcome) {
        return lineBytes(time, call, identity, session, outcome, LineContext.NONE);
    }

    static byte[] lineBytes(Instant time, CallDecision call, String identity, String session, Outcome outcome, LineContext context) {
        var d = call.decision();
        JsonNode id = call.id();
        if (hasSurrogate(call.tool()) || hasSurrogate(identity) || hasSurrogate(session)
                || hasSurrogate(d.rule()) || hasSurrogate(d.reason())
                || hasSurrogate(d.counter()) || hasSurrogate(d.grant()) || (id != null && !id.isValueNode())
                || (id != null && hasSurrogate(id.textValue())) || hasSurrogate(context.clientName())
                || hasSurrogate(context.clientVersion())) {
            return (line(time, call, identity, session, outcome, context) + "\n").getBytes(StandardCharsets.UTF_8);
        }
        return LINES.write(json -> write(json, time, call, identity, session, outcome, context), out -> {
            out.write('\n');
            byte[] line = out.toByteArray();
            out.reset();
            return line;
        });
    }

    private static final PerThreadJsonWriter<ByteArrayBuilder> LINES =
            new PerThreadJsonWriter<>(JsonRpcParser.STRICT.getFactory(), () -> new ByteArrayBuilder(512));

    static String line(Instant time, CallDecision call, String identity, String session, Outcome outcome) {
        return line(time, call, identity, session, outcome, LineContext.NONE);
    }

    static String line(Instant time, CallDecision call, String identity, String session, Outcome outcome, LineContext context) {
        StringWriter out = new StringWriter(512);
        try (JsonGenerator json = JsonRpcParser.STRICT.getFactory().createGenerator(out)) {
            write(json, time, call, identity, session, outcome, context);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Marks every audit line, so a log pipeline tells them apart from the sidecar's other output (ECS {@code event.dataset}). */
    static final String DATASET = "toolgate.audit";

    /** Every line starts with its time and the {@link #DATASET} marker. */
    private static void begin(JsonGenerator json, Instant time) throws IOException {
        json.writeStartObject();
        json.writeStringField("time", time.toString());
        json.writeStringField("event.dataset", DATASET);
    }

    private static void write(JsonGenerator json, Instant time, CallDecision call, String identity, String session, Outcome outcome,
            LineContext context) throws IOException {
        // Written field by field with a generator (same bytes as serialising an ObjectNode with these fields in this
        // order): no intermediate tree, no serializer lookup.
        var d = call.decision();
        begin(json, time);
        json.writeStringField("decision", d.verdict().label());
        if (!d.enforced()) {
            // audit mode: the decision is what would have happened; the call went ahead
            json.writeStringField("enforcement", "audit");
        }
        json.writeStringField("tool", call.tool());
        json.writeStringField("identity", identity == null ? "anonymous" : identity);
        json.writeStringField("session", session);
        json.writeStringField("rule", d.rule());
        json.writeStringField("reason", d.reason());
        json.writeStringField("counter", d.counter());
        json.writeStringField("grant", d.grant().isEmpty() ? null : d.grant());
        json.writeStringField("argumentsSha256", argumentsSha256(call.arguments()));
        json.writeFieldName("requestId");
        JsonNode id = call.id();
        if (id == null) {
            json.writeNull();
        } else if (id.isTextual() || id.isNumber() || id.isNull() || id.isBoolean()) {
            id.serialize(json, null); // strings, numbers, null write themselves: no ObjectMapper round trip
        } else {
            json.writeTree(id);
        }
        if (call.approval() != null) {
            json.writeStringField("approval", call.approval().name());
            json.writeStringField("approvalState", call.approval().state());
            if (call.approval().approver() != null) {
                json.writeStringField("approver", call.approval().approver());
            }
            if (call.approval().wasHeld()) {
                json.writeNumberField("heldMs", call.approval().heldMillis());
                json.writeStringField("holdEnded", call.approval().holdEnded());
            }
            if (call.approval().elicitation() != null) {
                json.writeStringField("elicitation", call.approval().elicitation());
            }
        }
        if (outcome.upstreamStatus() >= 0) {
            json.writeNumberField("upstreamStatus", outcome.upstreamStatus());
            json.writeNumberField("upstreamLatencyMs", outcome.upstreamLatencyMillis());
        }
        writeContext(json, context);
        json.writeEndObject();
    }

    private static void writeContext(JsonGenerator json, LineContext context) throws IOException {
        writeIfPresent(json, "policy", context.policy());
        writeIfPresent(json, "namespace", context.namespace());
        writeIfPresent(json, "source", context.source());
        writeIfPresent(json, "traceId", context.traceId());
        writeIfPresent(json, "clientName", context.clientName());
        writeIfPresent(json, "clientVersion", context.clientVersion());
    }

    private static void writeIfPresent(JsonGenerator json, String field, String value) throws IOException {
        if (value != null) {
            json.writeStringField(field, value);
        }
    }

    /** The engine's one arguments digest ({@link ArgumentsDigest}): what an approval binds to, whatever the spelling. */
    static String argumentsSha256(JsonNode arguments) {
        return ArgumentsDigest.sha256Hex(arguments);
    }

    static boolean hasSurrogate(String text) {
        if (text == null) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }
}
