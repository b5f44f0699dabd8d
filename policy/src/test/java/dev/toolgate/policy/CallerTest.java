package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Caller} in {@link ToolCall}: counts go by subject, however the subject was established. */
class CallerTest {

    @Test
    void aHeaderNamesTheCallerAndNoHeaderIsAnonymous() {
        assertThat(Caller.fromHeader("agent-a")).isEqualTo(new Caller("agent-a", Set.of(), Caller.Source.HEADER));
        assertThat(Caller.fromHeader(null)).isSameAs(Caller.anonymous());
        assertThat(Caller.anonymous()).isEqualTo(new Caller("anonymous", Set.of(), Caller.Source.ANONYMOUS));
        assertThat(new ToolCall("t", null, (String) null, null).caller()).isSameAs(Caller.anonymous());
        assertThat(new ToolCall("t", null, (Caller) null, null).caller()).isSameAs(Caller.anonymous());
        assertThat(new ToolCall("t", null, (String) null, null).identity()).isEqualTo("anonymous");
        assertThat(new ToolCall("t", null, "agent-a", "s").identity()).isEqualTo("agent-a");
        assertThat(new ToolCall("t", null, "agent-a", "s")).isEqualTo(new ToolCall("t", null, Caller.fromHeader("agent-a"), "s"));
    }

    @Test
    void groupsAreAnImmutableCopyAndSubjectAndSourceAreRequired() {
        Set<String> groups = new HashSet<>(Set.of("ops"));
        Caller caller = new Caller("a", groups, Caller.Source.JWT);
        groups.add("admin");
        assertThat(caller.groups()).containsExactly("ops");
        assertThatThrownBy(() -> caller.groups().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(new Caller("a", null, Caller.Source.JWT).groups()).isEmpty();
        assertThatThrownBy(() -> new Caller(null, Set.of(), Caller.Source.JWT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Caller("a", Set.of(), null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void countsGoBySubjectWhateverItsSource() {
        for (String scope : List.of("identity", "grant", "session")) {
            Policy p = policy("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':'minute','max':1,'scope':'"
                    + scope + "'}]}}}");
            assertThat(p.decide(new ToolCall("t", null, new Caller("a", Set.of("g"), Caller.Source.JWT), null), T0).allowed()).isTrue();
            assertThat(p.decide(new ToolCall("t", null, "a", null), T0).allowed()).as(scope).isFalse();
            assertThat(p.decide(new ToolCall("t", null, new Caller("b", Set.of(), Caller.Source.SERVICE_ACCOUNT), null), T0).allowed())
                    .as(scope).isTrue();
            assertThat(p.decide(new ToolCall("t", null, Caller.anonymous(), null), T0).allowed()).as(scope).isTrue();
            assertThat(p.decide(new ToolCall("t", null, "anonymous", null), T0).allowed()).as(scope + ": the same subject").isFalse();
        }
    }

    @Test
    void neverCallableIsTheSameForEveryCallerToday() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'open':{},'shut':{'action':'deny'},'ask':{'action':'require_approval'}}}");
        for (String tool : List.of("open", "shut", "ask", "unknown")) {
            boolean expected = p.neverCallable(tool);
            for (Caller caller : List.of(Caller.anonymous(), Caller.fromHeader("a"), new Caller("b", Set.of("g"), Caller.Source.JWT))) {
                assertThat(p.neverCallable(tool, caller)).as(tool + " for " + caller).isEqualTo(expected);
            }
        }
        assertThat(p.neverCallable("shut", null)).isTrue();
        assertThat(p.neverCallable("open")).isFalse();
        assertThat(p.neverCallable("unknown")).isTrue();
    }
}
