package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.call;
import static dev.toolgate.policy.PolicyTestSupport.policy;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every operator: match, no match, missing argument (false except not_exists), and a present argument of the wrong
 * type (true: fail closed).
 */
class ConditionOperatorsTest {

    /** True when the single condition {@code arg op value} holds for the arguments (the call is then denied). */
    private static boolean holds(String arg, String op, String valueJson, String argumentsJson) {
        String value = valueJson == null ? "" : ",'value':" + valueJson;
        Policy p = policy("{'version':'1','default':'deny','tools':{'t':{'deny_if':[{'conditions':[{'arg':'" + arg + "','op':'" + op + "'"
                + value + "}],'on_deny':'hit'}]}}}");
        Decision d = p.decide(call("t", argumentsJson, "x"), T0);
        return d.verdict() == Verdict.DENIED;
    }

    @Test
    void eq() {
        assertThat(holds("a", "eq", "'x'", "{'a':'x'}")).isTrue();
        assertThat(holds("a", "eq", "'x'", "{'a':'y'}")).isFalse();
        assertThat(holds("a", "eq", "1000", "{'a':1e3}")).isTrue();
        assertThat(holds("a", "eq", "1e3", "{'a':1000.0}")).isTrue();
        assertThat(holds("a", "eq", "0.1", "{'a':0.10}")).isTrue();
        assertThat(holds("a", "eq", "1000", "{'a':'1000'}")).isFalse();
        assertThat(holds("a", "eq", "{'k':[1,2]}", "{'a':{'k':[1.0,2e0]}}")).isTrue();
        assertThat(holds("a", "eq", "null", "{'a':null}")).isTrue();
        assertThat(holds("a", "eq", "'x'", "{}")).isFalse();
    }

    @Test
    void ne() {
        assertThat(holds("a", "ne", "'x'", "{'a':'y'}")).isTrue();
        assertThat(holds("a", "ne", "'x'", "{'a':'x'}")).isFalse();
        assertThat(holds("a", "ne", "1000", "{'a':1e3}")).isFalse();
        assertThat(holds("a", "ne", "'x'", "{}")).isFalse();
    }

    @Test
    void numericComparisonsAreExact() {
        assertThat(holds("a", "gt", "1000", "{'a':1001}")).isTrue();
        assertThat(holds("a", "gt", "1000", "{'a':1000}")).isFalse();
        assertThat(holds("a", "gt", "1000", "{'a':1000.0000000000000000001}")).isTrue();
        assertThat(holds("a", "gt", "9007199254740992", "{'a':9007199254740993}")).isTrue();
        assertThat(holds("a", "gte", "1e3", "{'a':1000}")).isTrue();
        assertThat(holds("a", "gte", "1000", "{'a':999.99}")).isFalse();
        assertThat(holds("a", "lt", "0", "{'a':-0.5}")).isTrue();
        assertThat(holds("a", "lt", "0", "{'a':0}")).isFalse();
        assertThat(holds("a", "lte", "10", "{'a':10}")).isTrue();
        assertThat(holds("a", "lte", "10", "{'a':10.5}")).isFalse();
    }

    @Test
    void argumentsParsedAsDoublesCompareByValueAndNonFiniteNumbersFailClosed() throws Exception {
        Policy p = policy("{'version':'1','default':'deny','tools':{'t':{'deny_if':[{'conditions':[{'arg':'a','op':'gt','value':1000}]},"
                + "{'conditions':[{'arg':'b','op':'eq','value':1000}]}]}}}");
        com.fasterxml.jackson.databind.ObjectMapper plain = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(p.decide(new ToolCall("t", plain.readTree("{\"a\":1e400}"), "x", null), T0).verdict()).isEqualTo(Verdict.DENIED);
        assertThat(p.decide(new ToolCall("t", plain.readTree("{\"a\":999.5}"), "x", null), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(new ToolCall("t", plain.readTree("{\"b\":1e3}"), "x", null), T0).rule()).isEqualTo("tools[\"t\"].deny_if[1]");
    }

    @Test
    void numericComparisonsFailClosedOnWrongTypesAndAreFalseWhenMissing() {
        for (String op : new String[]{"gt", "gte", "lt", "lte"}) {
            assertThat(holds("amount", op, "1000", "{'amount':'100000'}")).as(op + " string").isTrue();
            assertThat(holds("amount", op, "1000", "{'amount':null}")).as(op + " null").isTrue();
            assertThat(holds("amount", op, "1000", "{'amount':[5]}")).as(op + " array").isTrue();
            assertThat(holds("amount", op, "1000", "{'amount':true}")).as(op + " boolean").isTrue();
            assertThat(holds("amount", op, "1000", "{}")).as(op + " missing").isFalse();
        }
    }

    @Test
    void inAndNotIn() {
        assertThat(holds("c", "in", "['usd','eur']", "{'c':'eur'}")).isTrue();
        assertThat(holds("c", "in", "['usd','eur']", "{'c':'gbp'}")).isFalse();
        assertThat(holds("c", "in", "[1,2]", "{'c':2.0}")).isTrue();
        assertThat(holds("c", "in", "['usd']", "{}")).isFalse();
        assertThat(holds("c", "not_in", "['usd','eur']", "{'c':'gbp'}")).isTrue();
        assertThat(holds("c", "not_in", "['usd','eur']", "{'c':'usd'}")).isFalse();
        assertThat(holds("c", "not_in", "[1000]", "{'c':1e3}")).isFalse();
        assertThat(holds("c", "not_in", "['usd']", "{}")).isFalse();
    }

    @Test
    void containsIsSubstringForStringsAndElementForArrays() {
        assertThat(holds("s", "contains", "'DROP'", "{'s':'x; DROP TABLE'}")).isTrue();
        assertThat(holds("s", "contains", "'DROP'", "{'s':'drop'}")).isFalse();
        assertThat(holds("tags", "contains", "'admin'", "{'tags':['user','admin']}")).isTrue();
        assertThat(holds("tags", "contains", "'admin'", "{'tags':['user']}")).isFalse();
        assertThat(holds("ids", "contains", "3", "{'ids':[1,2,3.0]}")).isTrue();
        assertThat(holds("s", "contains", "'x'", "{}")).isFalse();
        assertThat(holds("s", "contains", "'x'", "{'s':{'x':1}}")).as("object: fail closed").isTrue();
        assertThat(holds("s", "contains", "'1'", "{'s':1}")).as("number: fail closed").isTrue();
        assertThat(holds("s", "contains", "1", "{'s':'a1'}")).as("number in a string: fail closed").isTrue();
    }

    @Test
    void startsWithAndEndsWith() {
        assertThat(holds("p", "starts_with", "'/etc/'", "{'p':'/etc/passwd'}")).isTrue();
        assertThat(holds("p", "starts_with", "'/etc/'", "{'p':'/home'}")).isFalse();
        assertThat(holds("p", "starts_with", "'/etc/'", "{'p':7}")).isTrue();
        assertThat(holds("p", "starts_with", "'/etc/'", "{}")).isFalse();
        assertThat(holds("f", "ends_with", "'.exe'", "{'f':'a.exe'}")).isTrue();
        assertThat(holds("f", "ends_with", "'.exe'", "{'f':'a.txt'}")).isFalse();
        assertThat(holds("f", "ends_with", "'.exe'", "{'f':['a.exe']}")).isTrue();
        assertThat(holds("f", "ends_with", "'.exe'", "{}")).isFalse();
    }

    @Test
    void matchesFindsAnywhereWithRe2() {
        assertThat(holds("e", "matches", "'@evil\\\\.com$'", "{'e':'bob@evil.com'}")).isTrue();
        assertThat(holds("e", "matches", "'@evil\\\\.com$'", "{'e':'bob@evil.com.au'}")).isFalse();
        assertThat(holds("e", "matches", "'evil'", "{'e':'not-evil-at-all'}")).as("find, not whole-string").isTrue();
        assertThat(holds("e", "matches", "'^(a+)+$'", "{'e':'" + "a".repeat(10_000) + "!'}")).as("linear time").isFalse();
        assertThat(holds("e", "matches", "'x'", "{'e':1}")).isTrue();
        assertThat(holds("e", "matches", "'x'", "{}")).isFalse();
    }

    @Test
    void existsAndNotExists() {
        assertThat(holds("a", "exists", null, "{'a':null}")).isTrue();
        assertThat(holds("a", "exists", null, "{'a':0}")).isTrue();
        assertThat(holds("a", "exists", null, "{}")).isFalse();
        assertThat(holds("a", "not_exists", null, "{}")).isTrue();
        assertThat(holds("a", "not_exists", null, "{'a':false}")).isFalse();
        assertThat(holds("a.b", "not_exists", null, "{'a':{}}")).isTrue();
    }

    @Test
    void pathsWithIndexesAndQuotedKeys() {
        assertThat(holds("items[0].price", "gt", "100", "{'items':[{'price':101}]}")).isTrue();
        assertThat(holds("items[1].price", "gt", "100", "{'items':[{'price':101},{'price':5}]}")).isFalse();
        assertThat(holds("items[2].price", "gt", "100", "{'items':[{'price':101}]}")).as("index out of range: missing").isFalse();
        assertThat(holds("meta[\\\"a.b\\\"].c", "eq", "1", "{'meta':{'a.b':{'c':1}}}")).isTrue();
        assertThat(holds("meta.a.b", "eq", "1", "{'meta':{'a.b':1}}")).isFalse();
        assertThat(holds("[\\\"x y\\\"]", "eq", "1", "{'x y':1}")).isTrue();
    }

    @Test
    void aPathThroughAValueOfTheWrongShapeFailsClosed() {
        assertThat(holds("items[0].price", "gt", "100", "{'items':{'0':{'price':101}}}")).isTrue();
        assertThat(holds("customer.id", "eq", "'cus_1'", "{'customer':'cus_1'}")).isTrue();
        assertThat(holds("customer.id", "eq", "'cus_1'", "{'customer':null}")).isTrue();
        assertThat(holds("customer.id", "exists", null, "{'customer':'x'}")).isFalse();
        assertThat(holds("customer.id", "not_exists", null, "{'customer':'x'}")).isTrue();
    }
}
