package dev.toolgate.sidecar.observe;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.mcp.JsonRpcMessage;
import dev.toolgate.sidecar.mcp.ParsedBody;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The client each session was opened by, as its {@code initialize} named itself ({@code clientInfo.name} and
 * {@code version}, unverified: what the agent says it is), for the audit lines of the session's calls, and whether it
 * declared form elicitation (capability {@code elicitation} as {@code {}} or with {@code form}), so that approval's
 * elicit mode can ask it on its stream. Learnt when the
 * server's answer to an {@code initialize} carries the new {@code Mcp-Session-Id}. Bounded by
 * {@code toolgate.max-tracked-keys}, least recently used first out; values are cut to 128 characters.
 */
@Singleton
public class SessionClients {

    /** {@code name} and {@code version} may be null (not named); {@code formElicitation}: it takes form elicitations. */
    public record Client(String name, String version, boolean formElicitation) {
    }

    private static final int MAX_CHARS = 128;
    private final Map<String, Client> clients;

    @Inject
    public SessionClients(SidecarConfig config) {
        this(config.maxTrackedKeys());
    }

    SessionClients(int max) {
        this.clients = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Client> eldest) {
                return size() > max;
            }
        };
    }

    /** The server created {@code session} in answer to {@code body}: remember the client its initialize named. */
    public void created(String session, ParsedBody body) {
        if (session == null || body == null) {
            return;
        }
        for (JsonRpcMessage message : body.messages()) {
            if (message.isRequest() && "initialize".equals(message.method())) {
                JsonNode info = message.node().path("params").path("clientInfo");
                JsonNode elicitation = message.node().path("params").path("capabilities").get("elicitation");
                boolean form = elicitation != null && elicitation.isObject() && (elicitation.isEmpty() || elicitation.path("form").isObject());
                synchronized (clients) {
                    clients.put(session, new Client(text(info.get("name")), text(info.get("version")), form));
                }
            }
        }
    }

    public Client of(String session) {
        if (session == null) {
            return null;
        }
        synchronized (clients) {
            return clients.get(session);
        }
    }

    /** Whether the client that opened {@code session} declared form elicitation; false for an unknown session. */
    public boolean takesFormElicitation(String session) {
        Client client = of(session);
        return client != null && client.formElicitation();
    }

    private static String text(JsonNode node) {
        if (node == null || !node.isTextual()) {
            return null;
        }
        String value = node.textValue();
        return value.length() > MAX_CHARS ? value.substring(0, MAX_CHARS) : value;
    }
}
