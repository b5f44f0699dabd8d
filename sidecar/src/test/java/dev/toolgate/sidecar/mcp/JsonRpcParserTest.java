package dev.toolgate.sidecar.mcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonRpcParserTest {

    private static ParsedBody parse(String json) throws JsonRpcRejection {
        return JsonRpcParser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static int code(String json) {
        try {
            parse(json);
            throw new AssertionError("accepted: " + json);
        } catch (JsonRpcRejection e) {
            return e.code();
        }
    }

    @Test
    void parsesSingleMessagesAndBatches() throws Exception {
        ParsedBody single = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}");
        assertThat(single.batch()).isFalse();
        assertThat(single.messages().get(0).isToolCall()).isTrue();
        ParsedBody batch = parse("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"},{\"jsonrpc\":\"2.0\",\"id\":\"r\",\"result\":{}}]");
        assertThat(batch.batch()).isTrue();
        assertThat(batch.containsToolsList()).isTrue();
        assertThat(batch.messages().get(1).method()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} x",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}{}",
            "{\"jsonrpc\":\"2.0\",",
            "",
            "   "})
    void rejectsMalformedJsonAsParseError(String json) {
        assertThat(code(json)).isEqualTo(ErrorCodes.PARSE_ERROR);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[]", "42", "[1]", "{\"id\":1,\"method\":\"ping\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"TOOLS/CALL\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call \"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}",
            "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1}"})
    void rejectsInvalidRequests(String json) {
        assertThat(code(json)).isEqualTo(ErrorCodes.INVALID_REQUEST);
    }

    @Test
    void rejectsBomUtf16AndInvalidUtf8() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
        assertThatThrownBy(() -> JsonRpcParser.parse(bom)).isInstanceOf(JsonRpcRejection.class).hasMessageContaining("byte order mark");
        assertThatThrownBy(() -> JsonRpcParser.parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}".getBytes(StandardCharsets.UTF_16LE)))
                .isInstanceOf(JsonRpcRejection.class);
        assertThatThrownBy(() -> JsonRpcParser.parse(new byte[] {'"', (byte) 0xC3, '"'})).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> JsonRpcParser.parse(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'})).hasMessageContaining("UTF-8");
    }
}
