package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.observe.ToolLabels;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.RateLimiter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ServerMessageInspectorTest {

    private static final String POLICY = """
            {"version":"1","default":"deny","hide_denied_tools":true,"tools":{"echo":{"action":"allow"}}}""";
    private static final String TOOLS = "{\"tools\":[{\"name\":\"echo\"},{\"name\":\"get-env\"}]}";

    private static Policy policy(String json) {
        try {
            return Policy.load(json, new RateLimiter());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ServerMessageInspector.Result inspect(String text) {
        return ServerMessageInspector.inspect(text, policy(POLICY), Caller.anonymous(), new ToolLabels(100));
    }

    private static ServerMessageInspector.Result inspectBytes(byte[] body) {
        return ServerMessageInspector.inspect(body, 0, body.length, policy(POLICY), Caller.anonymous(), new ToolLabels(100));
    }

    private static List<String> toolNames(JsonNode message) {
        return message.get("result").get("tools").findValuesAsText("name");
    }

    @Test
    void aToolsListResultIsFilteredWhateverItsId() {
        for (String id : List.of("2", "2.0", "\"2\"", "77", "null")) {
            var result = inspect("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + TOOLS + "}");
            assertThat(result.outcome()).as(id).isEqualTo(ServerMessageInspector.Outcome.REWRITTEN);
            assertThat(toolNames(result.message())).as(id).containsExactly("echo");
        }
    }

    @Test
    void aListFilteredPerCallerIsNeverPublicToCaches() {
        var hinted = inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"echo\"}],\"ttlMs\":60000,"
                + "\"cacheScope\":\"public\",\"resultType\":\"complete\"}}");
        assertThat(hinted.outcome()).as("nothing removed, but what is listed depends on the caller").isEqualTo(ServerMessageInspector.Outcome.REWRITTEN);
        assertThat(hinted.message().at("/result/cacheScope").asText()).isEqualTo("private");
        assertThat(hinted.message().at("/result/ttlMs").asInt()).isEqualTo(60000);
        var older = inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"echo\"}]}}");
        assertThat(older.outcome()).as("a revision without caching hints gets none added").isEqualTo(ServerMessageInspector.Outcome.PASS);
        var unfiltered = ServerMessageInspector.inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"echo\"}],"
                + "\"cacheScope\":\"public\"}}", policy("{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"echo\":{}}}"), Caller.anonymous(),
                new ToolLabels(100));
        assertThat(unfiltered.outcome()).as("without hiding, the server's list and hint pass").isEqualTo(ServerMessageInspector.Outcome.PASS);
    }

    @Test
    void escapedKeysAreTheSameKeys() {
        var result = inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"r\\u0065sult\":{\"t\\u006fols\":[{\"name\":\"echo\"},{\"n\\u0061me\":\"get-\\u0065nv\"}]}}");
        assertThat(result.outcome()).isEqualTo(ServerMessageInspector.Outcome.REWRITTEN);
        assertThat(toolNames(result.message())).containsExactly("echo");
    }

    @Test
    void everyElementOfABatchIsFiltered() {
        var result = inspect("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":" + TOOLS
                + "},[{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":" + TOOLS + "}]]");
        assertThat(result.outcome()).isEqualTo(ServerMessageInspector.Outcome.REWRITTEN);
        assertThat(toolNames(result.message().get(1))).containsExactly("echo");
        assertThat(toolNames(result.message().get(2).get(0))).containsExactly("echo");
        assertThat(result.answeredIds()).extracting(JsonNode::asInt).containsExactly(1, 2, 3);
    }

    @Test
    void otherMessagesPassAndTheirAnswersAreReported() {
        var call = inspect("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"tools\"}]}}");
        assertThat(call.outcome()).isEqualTo(ServerMessageInspector.Outcome.PASS);
        assertThat(call.answeredIds()).extracting(JsonNode::asInt).containsExactly(5);
        var notification = inspect("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}");
        assertThat(notification.outcome()).isEqualTo(ServerMessageInspector.Outcome.PASS);
        assertThat(notification.answeredIds()).isEmpty();
        assertThat(inspect("  ").outcome()).as("blank: nothing to read").isEqualTo(ServerMessageInspector.Outcome.PASS);
        assertThat(inspect("\"just a string\"").outcome()).isEqualTo(ServerMessageInspector.Outcome.PASS);
    }

    @Test
    void answersWithoutAToolsListResultAreCheckedWholeButNotCopiedIntoATree() {
        String deep = "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"x\",\"tools\":[{\"name\":\"get-env\"}]}],"
                + "\"structuredContent\":{\"tools\":{\"a\":1},\"rows\":[1.5,2e3,\"\\u00e9\"]}}}";
        var pass = inspect(deep);
        assertThat(pass.outcome()).as("a tools array deeper than result.tools is no tools/list result").isEqualTo(ServerMessageInspector.Outcome.PASS);
        assertThat(pass.message()).isNull();
        assertThat(pass.answeredIds()).extracting(JsonNode::asInt).containsExactly(5);
        for (String bad : List.of(
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[{\"type\":\"text\",\"type\":\"image\"}]}}",
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[{\"text\":\"bad \\x escape\"}]}}",
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"n\":01}}",
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":1,\"code\":2}}",
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}]")) {
            assertThat(inspect(bad).outcome()).as(bad).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
            assertThat(inspectBytes(bad.getBytes(StandardCharsets.UTF_8)).outcome()).as(bad).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
        }
        assertThat(inspect("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"result\":{}}").answeredIds()).as("not an id").isEmpty();
    }

    @Test
    void bytesWithNulOrASecondByteOrderMarkAreRefused() {
        byte[] nul = "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\u0000".getBytes(StandardCharsets.UTF_8);
        assertThat(inspectBytes(nul).outcome()).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
        byte[] bom = ("\uFEFF{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":" + TOOLS + "}").getBytes(StandardCharsets.UTF_8);
        assertThat(inspectBytes(bom).outcome()).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
    }

    @Test
    void entriesWithoutANameAreHiddenWhenHiding() {
        var result = inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"echo\"},{\"name\":[\"get-env\"]},{\"title\":\"x\"},7]}}");
        assertThat(result.message().get("result").get("tools")).hasSize(1);
        var shown = ServerMessageInspector.inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"echo\"},{\"title\":\"x\"}]}}",
                policy("{\"version\":\"1\",\"default\":\"allow\",\"tools\":{}}"), Caller.anonymous(), new ToolLabels(10));
        assertThat(shown.outcome()).as("hiding off: the list is shown whole").isEqualTo(ServerMessageInspector.Outcome.PASS);
    }

    @Test
    void withNoPolicyEveryToolIsHidden() {
        var result = ServerMessageInspector.inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":" + TOOLS + "}", null, Caller.anonymous(), new ToolLabels(10));
        assertThat(result.message().get("result").get("tools")).isEmpty();
    }

    @Test
    void whatIsNotStrictJsonIsRefusedWithTheIdsALenientReaderWouldSee() {
        var duplicate = inspect("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[]},\"result\":" + TOOLS + "}");
        assertThat(duplicate.outcome()).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
        assertThat(duplicate.problem()).contains("Duplicate field");
        assertThat(duplicate.answeredIds()).extracting(JsonNode::asInt).containsExactly(2);
        var trailing = inspect("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}} {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":" + TOOLS + "}");
        assertThat(trailing.outcome()).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
        assertThat(trailing.answeredIds()).extracting(JsonNode::asInt).containsExactly(3);
        var garbage = inspect("event: message");
        assertThat(garbage.outcome()).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
        assertThat(garbage.answeredIds()).isEmpty();
        assertThat(inspect("\uFEFF{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":" + TOOLS + "}").outcome())
                .as("a byte order mark inside a message is not JSON").isEqualTo(ServerMessageInspector.Outcome.REFUSED);
    }

    @Test
    void bodiesMustBeUtf8() {
        byte[] utf16 = ("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":" + TOOLS + "}").getBytes(StandardCharsets.UTF_16LE);
        assertThat(inspectBytes(utf16).outcome()).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
        byte[] invalid = "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"x\":\"\u00e9\"}}".getBytes(StandardCharsets.ISO_8859_1);
        var refused = inspectBytes(invalid);
        assertThat(refused.outcome()).isEqualTo(ServerMessageInspector.Outcome.REFUSED);
        assertThat(refused.problem()).contains("UTF-8");
        assertThat(refused.answeredIds()).extracting(JsonNode::asInt).containsExactly(2);
        byte[] accented = ("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"x\":\"\u00e9\"}}").getBytes(StandardCharsets.UTF_8);
        assertThat(inspectBytes(accented).outcome()).isEqualTo(ServerMessageInspector.Outcome.PASS);
        byte[] list = ("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":" + TOOLS + "}").getBytes(StandardCharsets.UTF_8);
        assertThat(toolNames(inspectBytes(list).message())).containsExactly("echo");
    }

    @Test
    void announcedNamesBecomeLabels() {
        ToolLabels labels = new ToolLabels(10);
        ServerMessageInspector.inspect("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":" + TOOLS + "}", policy(POLICY), Caller.anonymous(), labels);
        assertThat(labels.label("get-env")).isEqualTo("get-env");
    }
}
