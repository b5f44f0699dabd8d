package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JsonRpcIdsTest {

    private static Object key(String json) throws Exception {
        JsonNode node = JsonRpcParser.STRICT.readTree("{\"id\":" + json + "}").get("id");
        return JsonRpcIds.key(node);
    }

    @Test
    void numbersCompareByValueAndStringsStayStrings() throws Exception {
        assertThat(key("2")).isEqualTo(key("2.0")).isEqualTo(key("2e0")).isEqualTo(key("0.2e1")).isEqualTo(key("20e-1"));
        assertThat(key("20")).isEqualTo(key("2e1")).isNotEqualTo(key("2"));
        assertThat(key("\"2\"")).isNotEqualTo(key("2"));
        assertThat(key("\"2.0\"")).isNotEqualTo(key("\"2\""));
        assertThat(key("0")).isEqualTo(key("0.000")).isEqualTo(key("-0"));
        assertThat(key("12345678901234567890123")).isEqualTo(key("12345678901234567890123.0"));
        assertThat(key("1e999999999")).as("kept as a scale, never expanded").isNotNull();
        assertThat(key("null")).isNull();
        assertThat(key("true")).isNull();
        assertThat(key("{}")).isNull();
        assertThat(JsonRpcIds.key(null)).isNull();
    }
}
