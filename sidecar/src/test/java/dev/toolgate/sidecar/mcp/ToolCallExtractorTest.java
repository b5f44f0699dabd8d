package dev.toolgate.sidecar.mcp;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ToolCallExtractorTest {

    private static JsonRpcMessage message(String json) throws JsonRpcRejection {
        return JsonRpcParser.parse(json.getBytes(StandardCharsets.UTF_8)).messages().get(0);
    }

    @Test
    void extractsNameAndArguments() throws Exception {
        var call = ToolCallExtractor.extract(message("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\\u002db\",\"arguments\":{\"x\":1}}}"));
        assertThat(call.tool()).isEqualTo("a-b");
        assertThat(call.arguments().get("x").asInt()).isEqualTo(1);
        assertThat(ToolCallExtractor.extract(message("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\",\"arguments\":null}}")).arguments()).isNull();
    }

    @Test
    void refusesShapesAServerMightReadDifferently() {
        for (String params : new String[] {"{\"name\":1}", "{\"name\":[\"a\"]}", "{\"name\":null}", "{}", "{\"name\":\"a\",\"arguments\":[]}", "{\"name\":\"a\",\"arguments\":\"s\"}"}) {
            assertThatThrownBy(() -> ToolCallExtractor.extract(message("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":" + params + "}")))
                    .as(params).isInstanceOfSatisfying(JsonRpcRejection.class, e -> assertThat(e.code()).isEqualTo(ErrorCodes.INVALID_PARAMS));
        }
        assertThatThrownBy(() -> ToolCallExtractor.extract(message("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":[]}")))
                .isInstanceOf(JsonRpcRejection.class);
        assertThatThrownBy(() -> ToolCallExtractor.extract(message("{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"a\"}}")))
                .isInstanceOfSatisfying(JsonRpcRejection.class, e -> assertThat(e.code()).isEqualTo(ErrorCodes.INVALID_REQUEST));
    }
}
