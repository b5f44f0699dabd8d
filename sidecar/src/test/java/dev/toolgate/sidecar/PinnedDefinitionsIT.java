package dev.toolgate.sidecar;

import dev.toolgate.policy.ToolDefinitionDigest;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;
import dev.toolgate.sidecar.mcp.JsonRpcParser;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ListToolsResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pinned tool definitions against a real TypeScript SDK server whose echo tool is swapped for a poisoned definition
 * while the sidecar runs ({@code src/test/node/changing-tools-server.mjs}; tools/list paginated, one tool a page), driven
 * by the MCP Java SDK over Streamable HTTP and the legacy HTTP+SSE transport: a pinned tool is denied before any
 * listing, listed and callable while the server announces the pinned definition, hidden and denied (in every session)
 * once any listing announces another, counted and audited once per change, and callable again when the server
 * announces the pinned definition again or the pin is updated.
 */
@QuarkusTest
@TestProfile(Profiles.ChangingTools.class)
class PinnedDefinitionsIT {

    @Inject
    PolicyHolder holder;

    private static String upstream(String path) {
        return SidecarTestResource.server.baseUrl() + path;
    }

    /** The server's current definitions, straight from it (not through the sidecar), in listing order. */
    private static List<JsonNode> definitions() throws Exception {
        HttpResponse<String> answer = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(upstream("/control/tools"))).build(),
                HttpResponse.BodyHandlers.ofString());
        List<JsonNode> tools = new ArrayList<>();
        JsonRpcParser.STRICT.readTree(answer.body()).forEach(tools::add);
        return tools;
    }

    private static String pinOf(String tool) throws Exception {
        return ToolDefinitionDigest.of(definitions().stream().filter(t -> t.get("name").asText().equals(tool)).findFirst().orElseThrow());
    }

    private static void serverAnnounces(String version) throws Exception {
        HttpResponse<Void> answer = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(upstream("/control/version?v=" + version)))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(answer.statusCode()).isEqualTo(204);
    }

    /** Holds the server's tools/list answers (on) or lets them go (off). */
    private static void serverHoldsListings(boolean on) throws Exception {
        HttpResponse<Void> answer = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(upstream("/control/hold-lists?on=" + (on ? 1 : 0))))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(answer.statusCode()).isEqualTo(204);
    }

    private static double reverifications(String result) {
        return TestSupport.sample(TestSupport.metrics(), "toolgate_tool_definition_reverifications_total{result=\"" + result + "\",tool=\"echo\"}");
    }

    /** Every page of tools/list, as the client sees it through the sidecar. */
    private static List<String> listed(McpSyncClient client) {
        List<String> names = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            ListToolsResult page = client.listTools(cursor);
            page.tools().stream().map(Tool::name).forEach(names::add);
            cursor = page.nextCursor();
        } while (cursor != null && ++pages < 10);
        return names;
    }

    private void usePins(String echoPin, String addPin) {
        TestSupport.usePolicy(holder, "{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"echo\":{\"pin\":\"" + echoPin
                + "\"},\"add\":{\"pin\":\"" + addPin + "\"}}}");
    }

    private static String text(CallToolResult result) {
        return ((TextContent) result.content().get(0)).text();
    }

    private static double changes() {
        return TestSupport.sample(TestSupport.metrics(), "toolgate_tool_definition_changes_total{tool=\"echo\"}");
    }

    private static McpError refusal(McpSyncClient client, String marker) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> client.callTool(new CallToolRequest("echo", Map.of("message", marker))));
        assertThat(thrown).isInstanceOf(McpError.class);
        McpError error = (McpError) thrown;
        assertThat(error.getJsonRpcError().code()).isEqualTo(ErrorCodes.DENIED);
        return error;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(McpError error) {
        return (Map<String, Object>) error.getJsonRpcError().data();
    }

    private static List<JsonNode> auditLines(String decision) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        String text = java.nio.file.Files.readString(SidecarTestResource.auditLog);
        for (String line : text.substring(0, text.lastIndexOf('\n') + 1).lines().toList()) {
            JsonNode json = TestSupport.JSON.readTree(line);
            if (decision.equals(json.path("decision").asText())) {
                lines.add(json);
            }
        }
        return lines;
    }

    @Test
    void aPinnedToolIsHiddenAndDeniedWhileTheServerAnnouncesAnotherDefinition() throws Exception {
        serverAnnounces("original");
        String original = pinOf("echo");
        String addPin = pinOf("add");
        usePins(original, addPin);
        String agent = "pin-" + UUID.randomUUID();

        try (McpSyncClient streamable = TestSupport.javaClient(agent)) {
            // Before any tools/list: a pinned tool is refused, and never reaches the server.
            String early = "early-" + UUID.randomUUID();
            McpError unannounced = refusal(streamable, early);
            assertThat(unannounced.getMessage()).contains("tool definition not announced");
            assertThat(data(unannounced)).containsEntry("rule", "tools[\"echo\"].pin").containsEntry("decision", "denied");
            assertThat(SidecarTestResource.recorder.sawBodyContaining(early)).isFalse();

            // The pinned definitions announced (echo on the second page): listed and callable.
            assertThat(listed(streamable)).containsExactly("add", "echo");
            assertThat(text(streamable.callTool(new CallToolRequest("echo", Map.of("message", "hello"))))).isEqualTo("Echo (original): hello");
            double before = changes();

            // The rug pull: echo's definition changes on the server. A legacy HTTP+SSE session lists first.
            serverAnnounces("poisoned");
            String poisoned = pinOf("echo");
            assertThat(poisoned).isNotEqualTo(original);
            try (McpSyncClient legacy = TestSupport.legacyJavaClient(agent + "-legacy")) {
                assertThat(listed(legacy)).as("hidden on the legacy stream").containsExactly("add");
            }
            // The Streamable HTTP session is refused too, with the reason, and sees the tool hidden.
            String late = "late-" + UUID.randomUUID();
            McpError changed = refusal(streamable, late);
            assertThat(changed.getMessage()).contains("tool definition changed: tool \"echo\" is pinned to " + original
                    + " but the server announces " + poisoned);
            assertThat(data(changed)).containsEntry("rule", "tools[\"echo\"].pin");
            assertThat(SidecarTestResource.recorder.sawBodyContaining(late)).isFalse();
            assertThat(listed(streamable)).containsExactly("add");
            assertThat(listed(streamable)).containsExactly("add");
            assertThat(text(streamable.callTool(new CallToolRequest("add", Map.of("a", 2, "b", 3))))).isEqualTo("5");
            // counted and audited once for the change, however often it was listed
            assertThat(changes()).isEqualTo(before + 1);
            List<JsonNode> audited = TestSupport.auditLinesOf(agent, 3);
            assertThat(audited).anySatisfy(line -> {
                assertThat(line.path("decision").asText()).isEqualTo("denied");
                assertThat(line.path("rule").asText()).isEqualTo("tools[\"echo\"].pin");
                assertThat(line.path("reason").asText()).startsWith("tool definition changed:");
            });
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(auditLines("definition_changed")).filteredOn(l -> l.path("announced").asText().equals(poisoned))
                            .singleElement().satisfies(line -> {
                                assertThat(line.path("tool").asText()).isEqualTo("echo");
                                assertThat(line.path("pin").asText()).isEqualTo(original);
                                assertThat(line.path("previous").asText()).isEqualTo(original);
                                assertThat(line.path("policy").asText()).isEqualTo("server-everything");
                            }));

            // The server announces the pinned definition again: listed and callable again, audited as restored.
            serverAnnounces("original");
            assertThat(listed(streamable)).containsExactly("add", "echo");
            assertThat(text(streamable.callTool(new CallToolRequest("echo", Map.of("message", "again"))))).isEqualTo("Echo (original): again");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(auditLines("definition_restored")).isNotEmpty());

            // Changed again, then the pin is updated to the new definition: callable without another listing.
            serverAnnounces("poisoned");
            assertThat(listed(streamable)).containsExactly("add");
            assertThat(changes()).isEqualTo(before + 2);
            refusal(streamable, "while-unpinned");
            usePins(poisoned, addPin);
            assertThat(text(streamable.callTool(new CallToolRequest("echo", Map.of("message", "reviewed")))))
                    .isEqualTo("Echo (poisoned): reviewed");
            assertThat(listed(streamable)).containsExactly("add", "echo");
        } finally {
            serverAnnounces("original");
            TestSupport.usePolicyResource(holder, "policies/allow-all.json");
        }
    }

    @Test
    void afterListChangedAPinnedToolIsDeniedUntilAListingVerifiesItAgain() throws Exception {
        serverAnnounces("original");
        String original = pinOf("echo");
        usePins(original, pinOf("add"));
        String agent = "relist-" + UUID.randomUUID();

        try (McpSyncClient streamable = TestSupport.javaClient(agent)) {
            assertThat(listed(streamable)).containsExactly("add", "echo");
            assertThat(text(streamable.callTool(new CallToolRequest("echo", Map.of("message", "before"))))).isEqualTo("Echo (original): before");
            int unverifiedBefore = auditLines("definitions_unverified").size();
            double changedBefore = reverifications("changed");
            double verifiedBefore = reverifications("verified");

            // The rug pull, announced with notifications/tools/list_changed (on the session's GET stream). The Java SDK
            // re-lists on its own when told; the server holds that listing, so no tools/list result with the new
            // definition has passed the sidecar when the call comes: the last listing it saw matched the pin.
            serverHoldsListings(true);
            serverAnnounces("poisoned");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(auditLines("definitions_unverified")).hasSizeGreaterThan(unverifiedBefore)
                            .last().satisfies(line -> assertThat(TestSupport.JSON.convertValue(line.path("tools"), List.class))
                                    .contains("echo", "add")));
            String rugPulled = "rug-" + UUID.randomUUID();
            McpError unverified = refusal(streamable, rugPulled);
            assertThat(unverified.getMessage()).contains("tool definition unverified: tool \"echo\" is pinned to " + original
                    + " and the server announced notifications/tools/list_changed").contains("list the tools again");
            assertThat(data(unverified)).containsEntry("rule", "tools[\"echo\"].pin").containsEntry("decision", "denied");
            assertThat(SidecarTestResource.recorder.sawBodyContaining(rugPulled)).as("never forwarded to the server").isFalse();

            // The held listing goes through with the poisoned definition: re-verified as changed, hidden, still denied.
            serverHoldsListings(false);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(reverifications("changed")).isGreaterThan(changedBefore));
            assertThat(listed(streamable)).containsExactly("add");
            assertThat(refusal(streamable, "still-poisoned").getMessage()).contains("tool definition changed");

            // The server restores the pinned definition: after a listing it is callable again.
            serverAnnounces("original");
            assertThat(listed(streamable)).containsExactly("add", "echo");
            assertThat(text(streamable.callTool(new CallToolRequest("echo", Map.of("message", "after"))))).isEqualTo("Echo (original): after");
            assertThat(reverifications("verified")).isGreaterThan(verifiedBefore);
            assertThat(auditLines("definition_reverified")).anySatisfy(line -> {
                assertThat(line.path("tool").asText()).isEqualTo("echo");
                assertThat(line.path("result").asText()).isEqualTo("verified");
                assertThat(line.path("announced").asText()).isEqualTo(original);
            });
        } finally {
            serverHoldsListings(false);
            serverAnnounces("original");
            TestSupport.usePolicyResource(holder, "policies/allow-all.json");
        }
    }
}
