package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The two phases of a decision, {@link Policy#evaluate} then {@link Evaluation#complete}, with a store in between. */
class EvaluationTest {

    /** 't' needs counters 'all' (global, 5/min) and 'mine' (identity, 1/min); 'free' needs none; 'bad' is denied. */
    private static final String DOC = "{'version':'1','default':'deny','tools':{"
            + "'t':{'limits':[{'counter':'all','window':'minute','max':5,'scope':'global'},"
            + "{'counter':'mine','window':'minute','max':1,'scope':'identity'}]},'free':{},'bad':{'action':'deny'}}}";

    private static ToolCall call(String tool, String identity) {
        return new ToolCall(tool, null, identity, "s1");
    }

    /** Answers every demand with the given admission, and records what it was asked. */
    private static final class ScriptedStore implements CounterStore {
        final Admission answer;
        final List<List<Demand>> asked = new ArrayList<>();
        final List<Boolean> consumed = new ArrayList<>();
        final List<LimitDefinition> bound = new ArrayList<>();

        ScriptedStore(Admission answer) {
            this.answer = answer;
        }

        @Override
        public CounterRef bind(LimitDefinition definition) {
            bound.add(definition);
            return new CounterRef() {
                @Override
                public String toString() {
                    return definition.counter();
                }
            };
        }

        @Override
        public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
            asked.add(demands);
            consumed.add(consume);
            return CompletableFuture.completedFuture(demands.stream().map(d -> answer).toList());
        }
    }

    @Test
    void evaluateStatesEachCallsDemandsAndCompleteDecidesAsDecideAllDoes() throws Exception {
        InMemoryCounterStore store = new InMemoryCounterStore();
        Policy p = Policy.load(q(DOC), store);
        List<ToolCall> calls = List.of(call("t", "a"), call("free", "a"), call("t", "a"), call("t", "b"));
        Evaluation e = p.evaluate(calls);
        assertThat(e.mayConsume()).isTrue();
        assertThat(e.demands()).extracting(Demand::subject).containsExactly("a", "a", "a", "b");
        assertThat(e.demands()).extracting(d -> d.counters().size()).containsExactly(2, 0, 2, 2);
        assertThat(e.demands().get(0).session()).isEqualTo("s1");
        List<Decision> staged = store.acquire(e.demands(), T0, e.mayConsume()).thenApply(e::complete).toCompletableFuture().join();
        List<Decision> direct = Policy.load(q(DOC), new InMemoryCounterStore()).decideAll(calls, T0);
        assertThat(staged).isEqualTo(direct);
        assertThat(staged).extracting(Decision::verdict)
                .containsExactly(Verdict.ALLOWED, Verdict.ALLOWED, Verdict.RATE_LIMITED, Verdict.ALLOWED);
        assertThat(staged.get(2).counter()).isEqualTo("mine");
        // a refused batch consumed nothing: the single unit of 'mine' for 'a' is still there
        assertThat(p.decide(call("t", "a"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void aCallRefusedBeforeItsLimitsHasNoCountersAndKeepsTheRequestFromConsuming() throws Exception {
        Policy p = Policy.load(q(DOC), new InMemoryCounterStore());
        Evaluation e = p.evaluate(List.of(call("t", "a"), call("bad", "a")));
        assertThat(e.mayConsume()).isFalse();
        assertThat(e.demands().get(1).counters()).isEmpty();
        List<Decision> decisions = e.complete(List.of(Admission.admitted(), Admission.exhausted(0, 9)));
        assertThat(decisions).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.DENIED);
        assertThat(decisions.get(1).rule()).isEqualTo("tools[\"bad\"]");
    }

    @Test
    void evaluateIsPureAndChecksItsInput() throws Exception {
        ScriptedStore store = new ScriptedStore(Admission.admitted());
        Policy p = Policy.load(q(DOC), store);
        assertThat(store.bound).extracting(LimitDefinition::counter).containsExactly("all", "mine");
        p.evaluate(List.of(call("t", "a"), call("bad", "b")));
        assertThat(store.asked).as("evaluate never asks the store").isEmpty();
        assertThat(p.evaluate(List.of()).demands()).isEmpty();
        assertThat(p.evaluate(List.of()).complete(List.of())).isEmpty();
        List<ToolCall> withNull = new ArrayList<>();
        withNull.add(call("t", "a"));
        withNull.add(null);
        assertThatThrownBy(() -> p.evaluate(withNull)).isInstanceOf(IllegalArgumentException.class).hasMessage("calls[1] is null");
        Evaluation e = p.evaluate(List.of(call("t", "a")));
        assertThatThrownBy(() -> e.complete(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 1 admissions, one per demand, got 0");
    }

    @Test
    void anUnavailableStoreRefusesEveryCallThatNeedsACounterWithItsOwnReason() throws Exception {
        ScriptedStore store = new ScriptedStore(Admission.storeUnavailable(0, 5));
        Policy p = Policy.load(q(DOC), store);
        Decision single = p.decide(call("t", "a"), T0);
        assertThat(single).isEqualTo(new Decision(Verdict.RATE_LIMITED, "t", "tools[\"t\"].limits[0]", Policy.STORE_UNAVAILABLE, "all", 5));
        assertThat(p.decide(call("free", "a"), T0).verdict()).as("a call without limits never asks the store").isEqualTo(Verdict.ALLOWED);
        assertThat(store.asked).hasSize(1);
        List<Decision> batch = p.decideAll(List.of(call("free", "a"), call("t", "a")), T0);
        assertThat(batch).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.RATE_LIMITED);
        assertThat(batch.get(1).reason()).isEqualTo(Policy.STORE_UNAVAILABLE);
        assertThat(store.consumed).containsExactly(true, true);
    }

    @Test
    void theRefusingCounterComesFromTheStore() throws Exception {
        Policy p = Policy.load(q(DOC), new ScriptedStore(Admission.exhausted(1, 42)));
        assertThat(p.decide(call("t", "a"), T0)).isEqualTo(new Decision(Verdict.RATE_LIMITED, "t", "tools[\"t\"].limits[1]",
                "rate limit exceeded: counter \"mine\" admits 1 call per minute per identity", "mine", 42));
        Policy outOfRange = Policy.load(q(DOC), new ScriptedStore(Admission.exhausted(2, 1)));
        assertThatThrownBy(() -> outOfRange.decide(call("t", "a"), T0)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the counter store refused counter 2 of a call that needs 2");
    }

    @Test
    void decideNeedsAStoreThatAnswersAtOnceWhileTheStagesDoNot() throws Exception {
        CompletableFuture<List<Admission>> later = new CompletableFuture<>();
        CounterStore slow = new CounterStore() {
            final InMemoryCounterStore counts = new InMemoryCounterStore();

            @Override
            public CounterRef bind(LimitDefinition definition) {
                return counts.bind(definition);
            }

            @Override
            public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
                return later;
            }
        };
        Policy p = Policy.load(q(DOC), slow);
        assertThatThrownBy(() -> p.decide(call("t", "a"), T0)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("decide and decideAll need a counter store that answers at once")
                .hasMessageContaining("use evaluate, CounterStore.acquire and Evaluation.complete");
        assertThatThrownBy(() -> p.decideAll(List.of(call("t", "a"), call("t", "b")), T0)).isInstanceOf(IllegalStateException.class);
        assertThat(p.decide(call("bad", "a"), T0).verdict()).as("decided before the limits: no store needed").isEqualTo(Verdict.DENIED);

        Evaluation e = p.evaluate(List.of(call("t", "a"), call("t", "b")));
        CompletableFuture<List<Decision>> decided = slow.acquire(e.demands(), T0, e.mayConsume()).thenApply(e::complete).toCompletableFuture();
        assertThat(decided).isNotDone();
        later.complete(List.of(Admission.admitted(), Admission.storeFull(1, 3)));
        assertThat(decided.join()).extracting(Decision::reason).containsExactly("allowed by tools[\"t\"]", Policy.LIMITER_FULL);
    }

    @Test
    void admissionsAreWellFormed() {
        assertThat(Admission.admitted().isAdmitted()).isTrue();
        assertThat(Admission.exhausted(0, 1).kind()).isEqualTo(Admission.Kind.EXHAUSTED);
        assertThatThrownBy(() -> Admission.exhausted(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Admission.storeFull(-1, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Admission(Admission.Kind.ADMITTED, 0, 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
