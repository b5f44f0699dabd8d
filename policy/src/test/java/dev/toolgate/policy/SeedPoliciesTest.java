package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.call;
import static dev.toolgate.policy.PolicyTestSupport.resource;
import static org.assertj.core.api.Assertions.assertThat;

/** The three seed policies of POLICY.md load unchanged and decide as the spec says. */
class SeedPoliciesTest {

    private static Policy seed(String name) throws PolicyException {
        return Policy.load(resource("seed-policies/" + name), new RateLimiter());
    }

    @Test
    void stripeRateLimitsThe31stUpdateCustomerPerIdentityWithinAMinute() throws Exception {
        Policy policy = seed("stripe-update_customer.json");
        for (int i = 0; i < 30; i++) {
            Decision d = policy.decide(call("update_customer", "{'customer':'cus_1'}", "agent-a"), T0 + i * 1000L);
            assertThat(d.verdict()).as("call %d", i + 1).isEqualTo(Verdict.ALLOWED);
            assertThat(d.rule()).isEqualTo("tools[\"update_customer\"]");
        }
        Decision limited = policy.decide(call("update_customer", "{}", "agent-a"), T0 + 30_000);
        assertThat(limited.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(limited.counter()).isEqualTo("update_customer_rate");
        assertThat(limited.rule()).isEqualTo("tools[\"update_customer\"].limits[0]");
        // the first admission (T0) leaves the window at T0 + 60s: 30 s after the 31st call
        assertThat(limited.retryAfterSeconds()).isEqualTo(30);

        assertThat(policy.decide(call("update_customer", "{}", "agent-b"), T0 + 30_500).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(policy.decide(call("update_customer", "{}", "agent-a"), T0 + 59_999).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(policy.decide(call("update_customer", "{}", "agent-a"), T0 + 60_000).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void stripeDeniesEveryOtherToolByDefault() throws Exception {
        Policy policy = seed("stripe-update_customer.json");
        Decision d = policy.decide(call("delete_customer", "{}", "agent-a"), T0);
        assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(d.rule()).isEqualTo("default");
        assertThat(d.reason()).contains("default is deny");
        assertThat(policy.neverCallable("delete_customer")).isTrue();
        assertThat(policy.neverCallable("update_customer")).isFalse();
        assertThat(policy.exactToolNames()).containsExactly("update_customer");
    }

    @Test
    void aksjahAllowsThirtyCallsPerMinutePerGrantForAToolNameWithSpaces() throws Exception {
        Policy policy = seed("aksjah-wizcommerce-postcustomers.json");
        String tool = "WizCommerce Open API_PostCustomers";
        for (int i = 0; i < 30; i++) {
            assertThat(policy.decide(call(tool, "{}", "grant-1"), T0 + i).verdict()).isEqualTo(Verdict.ALLOWED);
        }
        Decision limited = policy.decide(call(tool, "{}", "grant-1"), T0 + 1000);
        assertThat(limited.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(limited.counter()).isEqualTo("wizcommerce open api_postcustomers_rate");
        assertThat(limited.retryAfterSeconds()).isEqualTo(59);
        assertThat(policy.decide(call(tool, "{}", "grant-2"), T0 + 1000).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(policy.decide(call("WizCommerce Open API_GetCustomers", "{}", "grant-1"), T0).verdict()).isEqualTo(Verdict.DENIED);
    }

    @Test
    void ap2DeniesUpdateAmountWithTheApprovalMessage() throws Exception {
        Policy policy = seed("ap2-update_amount.json");
        Decision d = policy.decide(call("update_amount", "{'amount': 5}", "agent-a"), T0);
        assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(d.reason()).isEqualTo("Requires human approval.");
        assertThat(d.rule()).isEqualTo("tools[\"update_amount\"].deny_if[0]");
        assertThat(policy.neverCallable("update_amount")).isTrue();
    }

    @Test
    void seedPoliciesHashStablyWhateverTheFormatting() throws Exception {
        PolicyDocument original = PolicyDocument.parse(resource("seed-policies/ap2-update_amount.json"));
        PolicyDocument compact = PolicyDocument.parse(original.canonicalJson());
        assertThat(compact.hash()).isEqualTo(original.hash()).hasSize(64).matches("[0-9a-f]+");
        assertThat(original.canonicalJson()).isEqualTo(
                "{\"default\":\"deny\",\"tools\":{\"update_amount\":{\"deny_if\":[{\"conditions\":[],\"on_deny\":\"Requires human approval.\"}]}},\"version\":\"1\"}");
    }

    @Test
    void seedPoliciesKeepTheHashesTheyHadBeforeGrants() throws Exception {
        // pinned: a running sidecar and the operator's status compare these hashes, so the language's growth must not move them
        assertThat(PolicyDocument.parse(resource("seed-policies/stripe-update_customer.json")).hash())
                .isEqualTo("72f4bbe6957e66274305465b8c3eaa40c588ebce7f4264a18d8903071368bfe1");
        assertThat(PolicyDocument.parse(resource("seed-policies/ap2-update_amount.json")).hash())
                .isEqualTo("20933031441537a7b6de006616c775427b7483f9dd0ba5a8c66a4eed36e47563");
        assertThat(PolicyDocument.parse(resource("seed-policies/aksjah-wizcommerce-postcustomers.json")).hash())
                .isEqualTo("20bbc4c45f49f68fd346af5f834af91e38d23a03c9d380bb8dbbdb0bb16f4287");
    }
}
