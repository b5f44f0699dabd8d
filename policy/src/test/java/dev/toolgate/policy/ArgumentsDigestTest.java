package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static dev.toolgate.policy.PolicyTestSupport.json;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link ArgumentsDigest}: equal arguments digest equal however they are spelt, and different ones differently. */
class ArgumentsDigestTest {

    private static String digest(String argumentsWithSingleQuotes) {
        return ArgumentsDigest.sha256Hex(json(q(argumentsWithSingleQuotes)));
    }

    private static String sha256Hex(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void isTheSha256OfTheCanonicalJsonsUtf8() throws Exception {
        JsonNode arguments = json(q("{ 'b' : [1, 2.50, 'x'], 'a' : {'d': true, 'c': null} }"));
        assertThat(CanonicalJson.write(arguments)).isEqualTo(q("{'a':{'c':null,'d':true},'b':[1,2.5,'x']}"));
        assertThat(ArgumentsDigest.sha256Hex(arguments)).isEqualTo(sha256Hex(q("{'a':{'c':null,'d':true},'b':[1,2.5,'x']}")))
                .hasSize(64).matches("[0-9a-f]+");
    }

    @Test
    void numbersAreDigestedByValue() throws Exception {
        String hundred = digest("{'n':100}");
        for (String spelling : new String[]{"1e2", "100.0", "1E+2", "100.000", "10e1", "1000e-1"}) {
            assertThat(digest("{'n':" + spelling + "}")).as(spelling).isEqualTo(hundred);
        }
        // parsed as doubles rather than exact decimals, the same value still digests the same
        assertThat(ArgumentsDigest.sha256Hex(new ObjectMapper().readTree("{\"n\":1e2}"))).isEqualTo(hundred);
        assertThat(digest("{'n':-0.0}")).isEqualTo(digest("{'n':0}"));
        assertThat(digest("{'n':0.1}")).isEqualTo(digest("{'n':1e-1}")).isNotEqualTo(digest("{'n':0.10000000000000001}"));
        assertThat(digest("{'n':101}")).isNotEqualTo(hundred);
        assertThat(digest("{'n':'100'}")).as("a string is not a number").isNotEqualTo(hundred);
    }

    @Test
    void keyOrderAndWhitespaceDoNotMatterArrayOrderDoes() {
        assertThat(digest("{'a':1,'b':2}")).isEqualTo(digest("{ 'b' : 2 ,\n 'a' : 1 }"));
        assertThat(digest("{'a':[1,2]}")).isNotEqualTo(digest("{'a':[2,1]}"));
        assertThat(digest("{'a':1}")).isNotEqualTo(digest("{'a':1,'b':null}"));
    }

    @Test
    void nestedValuesAreCanonicalAllTheWayDown() {
        assertThat(digest("{'order':{'items':[{'sku':'a','qty':2e0,'meta':{'y':1,'x':[1.50,{'q':1,'p':2}]}}],'total':1.5e1}}"))
                .isEqualTo(digest("{'order':{'total':15,'items':[{'meta':{'x':[1.5,{'p':2.0,'q':1}],'y':1.0},'qty':2,'sku':'a'}]}}"));
        assertThat(digest("{'a':{'b':{'c':1}}}")).isNotEqualTo(digest("{'a':{'b':{'c':[1]}}}"));
    }

    @Test
    void absentArgumentsDigestAsAnEmptyObject() throws Exception {
        String empty = sha256Hex("{}");
        assertThat(ArgumentsDigest.sha256Hex(null)).isEqualTo(empty);
        assertThat(ArgumentsDigest.sha256Hex(MissingNode.getInstance())).isEqualTo(empty);
        assertThat(ArgumentsDigest.sha256Hex(NullNode.getInstance())).isEqualTo(empty);
        assertThat(digest("{}")).isEqualTo(empty);
        assertThat(digest("[]")).isNotEqualTo(empty);
    }

    @Test
    void unicodeIsDigestedAsItsUtf8AndEscapesDoNotMatter() throws Exception {
        assertThat(digest("{'s':'\\u00e9\\ud83d\\ude00'}")).as("escaped é and a surrogate pair").isEqualTo(digest("{'s':'é😀'}"))
                .isEqualTo(sha256Hex("{\"s\":\"é😀\"}"));
        assertThat(digest("{'é':1,'e':2,'😀':3,'\uffff':4}")).isEqualTo(digest("{'\uffff':4,'😀':3,'e':2,'é':1}"));
        assertThat(CanonicalJson.write(json(q("{'s':'a\\u0001\\n\\t\\\"\\\\/'}")))).isEqualTo("{\"s\":\"a\\u0001\\n\\t\\\"\\\\/\"}");
    }

    @Test
    void aLoneSurrogateIsWrittenAsItsEscapeSoItCollidesWithNothing() throws Exception {
        // a Java string (and JSON text) can hold half a surrogate pair; UTF-8 cannot, and encoding would make it '?'
        JsonNode lone = json("{\"s\":\"x\\ud800y\"}");
        assertThat(lone.get("s").textValue()).hasSize(3);
        assertThat(CanonicalJson.write(lone)).isEqualTo("{\"s\":\"x\\uD800y\"}");
        assertThat(ArgumentsDigest.sha256Hex(lone)).isEqualTo(sha256Hex("{\"s\":\"x\\uD800y\"}"))
                .isNotEqualTo(digest("{'s':'x?y'}"))
                .as("the six characters backslash, u, D, 8, 0, 0 are a different string").isNotEqualTo(digest("{'s':'x\\\\uD800y'}"))
                .isNotEqualTo(digest("{'s':'x\\udbffy'}"));
        // low before high is no pair: both escaped; a high surrogate at the end, and lone ones in keys, too
        assertThat(CanonicalJson.write(json("[\"\\udc00\\ud800\", \"a\\ud83d\"]"))).isEqualTo("[\"\\uDC00\\uD800\",\"a\\uD83D\"]");
        assertThat(CanonicalJson.write(json("{\"\\ude00\":1}"))).isEqualTo("{\"\\uDE00\":1}");
        // one escaped, one literal pair: the pair stays literal
        assertThat(CanonicalJson.write(json("[\"\\ud800\\ud83d\\ude00\"]"))).isEqualTo("[\"\\uD800😀\"]");
    }

    @Test
    void everyOtherCharacterIsWrittenExactlyAsJacksonWritesIt() throws Exception {
        // so the canonical form (and every policy hash) is what it was when Jackson's generator wrote it
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < Character.MIN_SURROGATE; c++) {
            all.append(c);
        }
        for (char c = Character.MAX_SURROGATE + 1; c != 0; c++) {
            all.append(c);
        }
        all.append("😀\ud83c\udf0d");
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put(all.toString(), all.toString());
        assertThat(CanonicalJson.write(node)).isEqualTo(new ObjectMapper().writeValueAsString(node));
    }

    @Test
    void theStreamedDigestIsTheDigestOfTheCanonicalTextsUtf8ForEveryKindOfCharacterAndLength() throws Exception {
        String[] pieces = {"a", "\u00e9", "\u20ac", "\ud83d\ude00", "\ud800", "\udc00", "\"", "\\", "\n", "\u0001", "z"};
        java.util.Random random = new java.util.Random(20261202L);
        for (int round = 0; round < 300; round++) {
            StringBuilder value = new StringBuilder();
            int length = round < 100 ? random.nextInt(20) : random.nextInt(6000); // past the 4096-byte buffer
            for (int i = 0; i < length; i++) {
                value.append(pieces[random.nextInt(pieces.length)]);
            }
            ObjectNode arguments = JsonNodeFactory.instance.objectNode();
            arguments.put(value.toString(), value.toString());
            arguments.putArray("n").add(round).add(round * 0.5);
            assertThat(ArgumentsDigest.sha256Hex(arguments)).as("round %d", round)
                    .isEqualTo(sha256Hex(CanonicalJson.write(arguments)));
        }
    }
}
