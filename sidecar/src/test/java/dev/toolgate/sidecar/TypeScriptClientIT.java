package dev.toolgate.sidecar;

import dev.toolgate.testsupport.McpPeers;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The TypeScript SDK (the reference MCP client) through the sidecar surfaces the denial reason to its caller. */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class TypeScriptClientIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    static JsonNode runTypeScriptClient(String transport) throws Exception {
        return runTypeScriptClient(transport, null);
    }

    /** As {@link #runTypeScriptClient(String)}, with every request also carrying {@code Authorization: Bearer <token>}. */
    static JsonNode runTypeScriptClient(String transport, String token) throws Exception {
        Path script = McpPeers.repoRoot().resolve("sidecar/src/test/node/ts-client.mjs");
        Path sdk = McpPeers.require("node_modules/@modelcontextprotocol/sdk");
        ProcessBuilder builder = new ProcessBuilder(McpPeers.node(), script.toString(), sdk.toString(), SidecarTestResource.proxyUrl(), transport, "ts-agent")
                .redirectErrorStream(false);
        if (token != null) {
            builder.command().add(token);
        }
        Process process = builder.start();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(stderr).isZero();
        String last = stdout.strip().lines().reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no output; stderr: " + stderr));
        return TestSupport.JSON.readTree(last);
    }

    @Test
    void streamableHttpClientSeesResultsAndTheDenialReason() throws Exception {
        JsonNode seen = runTypeScriptClient("streamable");
        assertThat(seen.has("failure")).as(seen.toString()).isFalse();
        assertThat(seen.get("echo").asText()).contains("from typescript");
        assertThat(seen.get("denied").get("message").asText()).contains("Environment variables may hold credentials.");
        assertThat(seen.get("denied").get("code").asInt()).isEqualTo(ErrorCodes.DENIED);
        assertThat(seen.get("denied").get("data").get("decision").asText()).isEqualTo("denied");
        assertThat(seen.get("tools").toString()).contains("echo").doesNotContain("get-env");
    }
}
