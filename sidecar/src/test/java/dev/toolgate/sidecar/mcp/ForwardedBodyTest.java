package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ForwardedBodyTest {

    private static String forwarded(String body) throws JsonRpcRejection {
        return new String(ForwardedBody.bytes(JsonRpcParser.parse(body.getBytes(StandardCharsets.UTF_8)), body.length()), StandardCharsets.UTF_8);
    }

    @Test
    void oneCompactSpellingWhateverTheClientWrote() throws JsonRpcRejection {
        assertThat(forwarded(" { \"jsonrpc\" : \"2.0\" ,\n\"id\":1, \"method\":\"tools\\/call\", \"params\":{\"name\":\"ech\\u006f\",\"arguments\":{}} } "))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}}}");
        assertThat(forwarded("[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"} , {\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}]"))
                .isEqualTo("[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}]");
    }

    @Test
    void stringsAreUtf8WithOnlyWhatMustBeEscapedEscaped() throws JsonRpcRejection {
        String in = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"q\\\"b\\\\n\\n\\u0000\\u001f\\u007f é€ 😀 \\ud83d\\ude00 \\ud800 x\\udc00\"}}";
        String out = forwarded(in);
        assertThat(out).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"q\\\"b\\\\n\\u000a\\u0000\\u001f\u007f é€ 😀 😀 \\ud800 x\\udc00\"}}");
        assertThat(TestJson.read(out)).isEqualTo(TestJson.read(in));
    }

    @Test
    void outputIsValidUtf8EvenForLoneSurrogates() throws Exception {
        byte[] out = ForwardedBody.bytes(JsonRpcParser.parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"\\ud800k\":\"\\udfff😀\"}}"
                .getBytes(StandardCharsets.UTF_8)), 16);
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out));
        assertThat(new String(out, StandardCharsets.UTF_8)).contains("\"\\ud800k\":\"\\udfff😀\"");
    }

    @Test
    void anyStringReadsBackAsTheSameCharacters() throws Exception {
        var escaping = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature());
        java.util.Random random = new java.util.Random(42);
        char[] alphabet = {'a', 'Z', ' ', '"', '\\', '/', '\n', '\u0000', '\u001f', '\u007f', '\u00e9', '\u07ff', '\u0800', '\u20ac', '\uffff',
                '\ud83d', '\ude00', '\udbff', '\udfff'};
        for (int round = 0; round < 2000; round++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(40); i > 0; i--) {
                text.append(random.nextInt(3) == 0 ? "x".repeat(random.nextInt(20)) : String.valueOf(alphabet[random.nextInt(alphabet.length)]));
            }
            String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{" + escaping.writeValueAsString(text.toString()) + ":"
                    + escaping.writeValueAsString(text.toString()) + "}}";
            byte[] out = ForwardedBody.bytes(JsonRpcParser.parse(body.getBytes(StandardCharsets.UTF_8)), 8);
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out));
            JsonNode params = TestJson.read(new String(out, StandardCharsets.UTF_8)).get("params");
            assertThat(params.get(text.toString())).as(body).isNotNull();
            assertThat(params.get(text.toString()).textValue()).as(body).isEqualTo(text.toString());
        }
    }

    @Test
    void numbersKeepTheirValueAndTheirKind() throws JsonRpcRejection {
        record Case(String in, String out) {
        }
        for (Case c : List.of(new Case("0", "0"), new Case("-0", "0"), new Case("-0.0", "0.0"), new Case("1.0", "1.0"),
                new Case("1.50", "1.5"), new Case("100.0", "1E+2"), new Case("1e2", "1E+2"), new Case("1.5e1", "15.0"), new Case("1E0", "1.0"),
                new Case("0.1", "0.1"), new Case("-2.5E-7", "-2.5E-7"), new Case("1e400", "1E+400"), new Case("1e-400", "1E-400"),
                new Case("9007199254740993", "9007199254740993"), new Case("-123456789012345678901234567890", "-123456789012345678901234567890"),
                new Case("3.14159265358979323846264338327950288", "3.14159265358979323846264338327950288"))) {
            String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"n\":" + c.in() + "}}";
            String out = forwarded(body);
            assertThat(out).as(c.in()).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"n\":" + c.out() + "}}");
            JsonNode original = TestJson.read(body).get("params").get("n");
            JsonNode again = TestJson.read(out).get("params").get("n");
            assertThat(again.decimalValue()).as(c.in()).isEqualByComparingTo(original.decimalValue());
            assertThat(again.isIntegralNumber()).as(c.in() + " kind").isEqualTo(original.isIntegralNumber());
        }
    }

    /** Jackson with exact numbers, independent of the code under test. */
    private static final class TestJson {
        private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

        static JsonNode read(String json) {
            try {
                return MAPPER.readTree(json);
            } catch (Exception e) {
                throw new AssertionError(json, e);
            }
        }
    }
}
