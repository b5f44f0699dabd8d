package dev.toolgate.sidecar.mcp;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DoubleExactNumbersTest {

    private static JsonRpcMessage call(String number) throws JsonRpcRejection {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"pay\",\"arguments\":{\"to\":[{\"amount\":" + number + "}]}}}";
        return JsonRpcParser.parse(body.getBytes(StandardCharsets.UTF_8)).messages().get(0);
    }

    @Test
    void numbersADoubleReadsAsTheSameValuePass() throws JsonRpcRejection {
        for (String ok : List.of("0", "-0", "-0.0", "1", "-17", "9007199254740991", "-9007199254740991", "9007199254740992",
                "1152921504606846976", "1.0", "0.1", "0.30000000000000004", "123456789012345", "1234567.89012345", "1e308",
                "-1.7976931348623157E308", "2.2250738585072014E-308", "1.5e-300", "100.0", "5e-1")) {
            ToolCallExtractor.extract(call(ok));
        }
    }

    @Test
    void numbersADoubleWouldReadAsAnotherValueAreRefused() {
        for (String bad : List.of("9007199254740993", "-9007199254740993", "12345678901234567890123", "1e400", "-1e400", "1e-400",
                "5e-324", "3.14159265358979323846", "0.1000000000000000000001", "1.00000000000000001")) {
            assertThatThrownBy(() -> ToolCallExtractor.extract(call(bad))).as(bad)
                    .isInstanceOfSatisfying(JsonRpcRejection.class, r -> {
                        assertThat(r.code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
                        assertThat(r.id().asInt()).isEqualTo(7);
                    })
                    .hasMessageContaining("params.arguments.to[0].amount").hasMessageContaining("IEEE-754 double");
        }
    }
}
