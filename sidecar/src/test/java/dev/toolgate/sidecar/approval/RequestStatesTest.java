package dev.toolgate.sidecar.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Elicit mode's sealed {@code requestState}: what opens, and every way one does not. */
class RequestStatesTest {

    private static final long NOW = 1_800_000_000_000L;
    private static final RequestStates.Binding BOUND = new RequestStates.Binding("system:serviceaccount:shop:agent", "SERVICE_ACCOUNT",
            "update_amount", "ab".repeat(32), "policy-hash-1", "update-amount-1a2b3c4d-1", "shop");

    private final AtomicLong clock = new AtomicLong(NOW);
    private final byte[] key = RequestStates.randomKey();
    private final RequestStates states = new RequestStates(key, 1000, clock::get);

    private RequestStates.Opened open(RequestStates on, String state) throws RequestStates.Refused {
        return on.open(state, BOUND.subject(), BOUND.source(), BOUND.tool(), BOUND.argumentsSha256(), BOUND.policyHash());
    }

    @Test
    void aSealedStateOpensOnceForTheSameCallWithWhatItWasBoundTo() throws Exception {
        String state = states.seal(BOUND, NOW + 60_000);
        assertThat(state).matches("tg1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}");
        RequestStates.Opened opened = open(states, state);
        assertThat(opened.binding()).isEqualTo(BOUND);
        assertThat(opened.expiresAtMillis()).isEqualTo(NOW + 60_000);
        assertThat(opened.nonce()).hasSize(22);
        assertThat(states.seal(BOUND, NOW + 60_000)).as("a fresh nonce each time").isNotEqualTo(state);
    }

    @Test
    void aReplayedStateIsRefused() throws Exception {
        String state = states.seal(BOUND, NOW + 60_000);
        open(states, state);
        assertThatThrownBy(() -> open(states, state)).isInstanceOf(RequestStates.Refused.class)
                .hasMessage("it was used already: a requestState is good for one retry");
    }

    @Test
    void aChangedPayloadDoesNotVerify() {
        String state = states.seal(BOUND, NOW + 60_000);
        String[] parts = state.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String other = payload.replace("system:serviceaccount:shop:agent", "system:serviceaccount:shop:other");
        String tampered = "tg1." + Base64.getUrlEncoder().withoutPadding().encodeToString(other.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertThatThrownBy(() -> states.open(tampered, "system:serviceaccount:shop:other", BOUND.source(), BOUND.tool(), BOUND.argumentsSha256(),
                BOUND.policyHash())).isInstanceOf(RequestStates.Refused.class).hasMessageStartingWith("its signature does not verify");
    }

    @Test
    void aChangedSignatureDoesNotVerify() {
        String state = states.seal(BOUND, NOW + 60_000);
        char last = state.charAt(state.length() - 2);
        String tampered = state.substring(0, state.length() - 2) + (last == 'A' ? 'B' : 'A') + state.charAt(state.length() - 1);
        assertThatThrownBy(() -> open(states, tampered)).isInstanceOf(RequestStates.Refused.class)
                .hasMessageStartingWith("its signature does not verify");
    }

    @Test
    void aStateSealedWithAnotherKeyDoesNotVerify() {
        String elsewhere = new RequestStates(RequestStates.randomKey(), 1000, clock::get).seal(BOUND, NOW + 60_000);
        assertThatThrownBy(() -> open(states, elsewhere)).isInstanceOf(RequestStates.Refused.class)
                .hasMessageContaining("sealed by another Toolgate");
        RequestStates sameKey = new RequestStates(key.clone(), 1000, clock::get);
        assertThat(sameKey.seal(BOUND, NOW + 60_000)).satisfies(s -> assertThat(open(states, s).binding()).isEqualTo(BOUND));
    }

    @Test
    void replicasThatAdoptedTheOperatorsKeyOpenEachOthersStatesAndTheirOwnEarlierOnes() throws Exception {
        RequestStates a = RequestStates.withOwnKey(1000, clock::get);
        RequestStates b = RequestStates.withOwnKey(1000, clock::get);
        assertThat(a.wantsSharedKey()).isTrue();
        String beforeAdopting = a.seal(BOUND, NOW + 60_000);
        assertThatThrownBy(() -> open(b, a.seal(BOUND, NOW + 60_000))).as("own keys: another replica's state does not open")
                .isInstanceOf(RequestStates.Refused.class);

        byte[] shared = RequestStates.randomKey();
        a.adopt(shared);
        b.adopt(shared.clone());
        assertThat(a.wantsSharedKey()).isFalse();
        assertThat(open(b, a.seal(BOUND, NOW + 60_000)).binding()).as("sealed by one replica, opened by another").isEqualTo(BOUND);
        assertThat(open(a, beforeAdopting).binding()).as("sealed before the key came").isEqualTo(BOUND);

        a.adopt(RequestStates.randomKey()); // once shared, the key stays
        assertThat(open(b, a.seal(BOUND, NOW + 60_000)).binding()).isEqualTo(BOUND);
        states.adopt(shared); // a key file's key is never replaced
        assertThat(states.wantsSharedKey()).isFalse();
        assertThatThrownBy(() -> open(states, a.seal(BOUND, NOW + 60_000))).isInstanceOf(RequestStates.Refused.class);
    }

    @Test
    void anExpiredStateIsRefused() {
        String state = states.seal(BOUND, NOW + 60_000);
        clock.set(NOW + 60_000);
        assertThatThrownBy(() -> open(states, state)).isInstanceOf(RequestStates.Refused.class)
                .hasMessageStartingWith("expired at 2027-01-15T08:01:00Z");
    }

    @Test
    void aStateOfAnotherCallerToolArgumentsOrPolicyIsRefused() {
        String state = states.seal(BOUND, NOW + 60_000);
        assertThatThrownBy(() -> states.open(state, "system:serviceaccount:shop:other", BOUND.source(), BOUND.tool(), BOUND.argumentsSha256(),
                BOUND.policyHash())).hasMessage("it was issued to another caller");
        assertThatThrownBy(() -> states.open(state, BOUND.subject(), "HEADER", BOUND.tool(), BOUND.argumentsSha256(), BOUND.policyHash()))
                .hasMessage("it was issued to another caller");
        assertThatThrownBy(() -> states.open(state, BOUND.subject(), BOUND.source(), "refund", BOUND.argumentsSha256(), BOUND.policyHash()))
                .hasMessage("it was issued for another tool");
        assertThatThrownBy(() -> states.open(state, BOUND.subject(), BOUND.source(), BOUND.tool(), "cd".repeat(32), BOUND.policyHash()))
                .hasMessage("it was issued for other arguments");
        assertThatThrownBy(() -> states.open(state, BOUND.subject(), BOUND.source(), BOUND.tool(), BOUND.argumentsSha256(), "policy-hash-2"))
                .hasMessageStartingWith("it was issued under another policy");
    }

    @Test
    void aRefusedStateIsNotUsedUpButAnOpenedOneIs() throws Exception {
        String state = states.seal(BOUND, NOW + 60_000);
        assertThatThrownBy(() -> states.open(state, BOUND.subject(), BOUND.source(), "refund", BOUND.argumentsSha256(), BOUND.policyHash()))
                .isInstanceOf(RequestStates.Refused.class);
        assertThat(open(states, state).binding()).as("the rightful call still opens it").isEqualTo(BOUND);
    }

    @Test
    void malformedStatesAreRefused() {
        for (String bad : new String[] {"tg1.", "tg1.abc", "tg1..sig", "tg1.!!!.???", "tg1." + "a".repeat(5000) + ".b", "other.abc.def"}) {
            assertThatThrownBy(() -> open(states, bad)).as(bad).isInstanceOf(RequestStates.Refused.class).hasMessageStartingWith("malformed");
        }
    }

    @Test
    void usedStatesAreRememberedUntilTheyExpireAndAtMostMax() throws Exception {
        RequestStates few = new RequestStates(key, 2, clock::get);
        open(few, few.seal(BOUND, NOW + 10_000));
        open(few, few.seal(BOUND, NOW + 20_000));
        String third = few.seal(BOUND, NOW + 30_000);
        open(few, third);
        assertThat(few.remembered()).as("bounded: the one expiring soonest went").isEqualTo(2);
        assertThatThrownBy(() -> open(few, third)).hasMessageContaining("used already");
        clock.set(NOW + 30_001);
        open(few, few.seal(BOUND, NOW + 90_000));
        assertThat(few.remembered()).as("expired ones are dropped").isEqualTo(1);
    }

    @Test
    void aShortKeyIsRefused() {
        assertThatThrownBy(() -> new RequestStates(new byte[16], 10, clock::get)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 32 bytes");
    }
}
