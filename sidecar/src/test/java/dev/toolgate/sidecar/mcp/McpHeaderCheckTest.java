package dev.toolgate.sidecar.mcp;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class McpHeaderCheckTest {
    private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}";

    private static ParsedBody body(String json) throws JsonRpcRejection {
        return JsonRpcParser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void matchingOrAbsentHeadersPass() throws Exception {
        ParsedBody call = body(CALL);
        assertThatCode(() -> McpHeaderCheck.check(List.of(), List.of(), call)).doesNotThrowAnyException();
        assertThatCode(() -> McpHeaderCheck.check(List.of("tools/call"), List.of("echo"), call)).doesNotThrowAnyException();
        assertThatCode(() -> McpHeaderCheck.check(List.of("tools/call"), List.of(), call)).doesNotThrowAnyException();
    }

    @Test
    void disagreementIsRejected() throws Exception {
        ParsedBody call = body(CALL);
        assertThatThrownBy(() -> McpHeaderCheck.check(List.of("tools/list"), List.of(), call)).hasMessageContaining("Mcp-Method")
                .isInstanceOfSatisfying(JsonRpcRejection.class, r -> assertThat(r.code()).as("MCP's HeaderMismatch").isEqualTo(-32020));
        assertThatThrownBy(() -> McpHeaderCheck.check(List.of("tools/call"), List.of("get-env"), call)).hasMessageContaining("Mcp-Name");
        assertThatThrownBy(() -> McpHeaderCheck.check(List.of("tools/call", "tools/call"), List.of(), call)).hasMessageContaining("at most once");
        assertThatThrownBy(() -> McpHeaderCheck.check(List.of("tools/call"), List.of(), body("[" + CALL + "]"))).hasMessageContaining("batch");
        assertThatThrownBy(() -> McpHeaderCheck.check(List.of("tools/call"), List.of(), null)).hasMessageContaining("without");
    }
}
