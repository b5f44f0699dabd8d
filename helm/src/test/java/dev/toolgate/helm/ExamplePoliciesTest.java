package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.PolicyDocument;
import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.ToolCall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The examples say what they do: each loads in the policy engine and decides as its comments promise. */
class ExamplePoliciesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long NOW = 1_800_000_000_000L;

    @ParameterizedTest(name = "{0} is the seed policy {1}")
    @CsvSource({
            "seed-policies/stripe-update-customer.yaml, stripe-update_customer.json",
            "seed-policies/aksjah-wizcommerce-postcustomers.yaml, aksjah-wizcommerce-postcustomers.json",
            "seed-policies/ap2-update-amount.yaml, ap2-update_amount.json"
    })
    void seedPolicyResourcesHoldExactlyTheSeedDocuments(String example, String seed) throws Exception {
        PolicyDocument fromResource = PolicyDocument.parse(ExamplePolicies.toDocument(ExamplePolicies.mcpPolicy(example)));
        PolicyDocument original = PolicyDocument.parse(resource("/seed-policies/" + seed));

        assertThat(fromResource.hash()).as(fromResource.canonicalJson()).isEqualTo(original.hash());
    }

    @Test
    void everyMcpPolicyExampleIsAValidPolicy() throws Exception {
        int policies = 0;
        int baselines = 0;
        for (Path file : ExamplePolicies.files()) {
            for (JsonNode object : ExamplePolicies.objects(file)) {
                assertThat(object.path("apiVersion").asText()).as("apiVersion in %s", file).isNotBlank();
                if ("McpPolicy".equals(object.path("kind").asText())) {
                    assertThat(object.path("apiVersion").asText()).isEqualTo("toolgate.dev/v1alpha1");
                    PolicyDocument.parse(ExamplePolicies.toDocument(object));
                    policies++;
                }
                if ("McpClusterPolicy".equals(object.path("kind").asText()) || "McpNamespacePolicy".equals(object.path("kind").asText())) {
                    dev.toolgate.policy.PolicySpec.parseBaseline(object.path("spec"));
                    baselines++;
                }
            }
        }
        assertThat(policies).isEqualTo(9); // the starter example (starter/server-everything.yaml) included
        assertThat(baselines).isEqualTo(2); // baselines/
    }

    @Test
    void grantsExampleGivesEachCallerItsOwnRights() throws Exception {
        Policy policy = Policy.compile(PolicyDocument.parse(ExamplePolicies.toDocument(
                ExamplePolicies.mcpPolicy("grants/shop-grants.yaml"))), new RateLimiter());
        var bot = new dev.toolgate.policy.Caller("system:serviceaccount:shop:billing-bot", java.util.Set.of(),
                dev.toolgate.policy.Caller.Source.SERVICE_ACCOUNT);
        var web = new dev.toolgate.policy.Caller("system:serviceaccount:shop:web", java.util.Set.of("finance"),
                dev.toolgate.policy.Caller.Source.SERVICE_ACCOUNT);
        Decision update = policy.decide(new ToolCall("update_customer", null, bot, null), NOW);
        assertThat(update.allowed()).isTrue();
        assertThat(update.grant()).isEqualTo("billing-bot");
        assertThat(policy.decide(new ToolCall("update_customer", null, web, null), NOW).verdict().label()).isEqualTo("denied");
        Decision amount = policy.decide(new ToolCall("update_amount", null, web, null), NOW);
        assertThat(amount.verdict().label()).isEqualTo("approval_required");
        assertThat(amount.grant()).isEqualTo("finance");
        assertThat(policy.decide(new ToolCall("update_amount", null, bot, null), NOW).verdict().label()).isEqualTo("denied");
        assertThat(policy.decide(new ToolCall("get_order", null, dev.toolgate.policy.Caller.anonymous(), null), NOW).allowed()).isTrue();
        for (int i = 1; i < 30; i++) {
            policy.decide(new ToolCall("update_customer", null, bot, null), NOW + i);
        }
        assertThat(policy.decide(new ToolCall("update_customer", null, bot, null), NOW + 30).verdict().label()).isEqualTo("rate_limited");
        assertThat(policy.neverCallable("update_customer", bot)).isFalse();
        assertThat(policy.neverCallable("update_customer", web)).isTrue();
    }

    @Test
    void demoPolicyAllowsDeniesChecksArgumentsAndRateLimits() throws Exception {
        Policy policy = Policy.compile(PolicyDocument.parse(ExamplePolicies.toDocument(
                ExamplePolicies.mcpPolicy("demo/10-mcppolicy.yaml"))), new RateLimiter());

        assertThat(decide(policy, "agent-a", "echo", "{\"message\":\"hello\"}")).isEqualTo("allowed");
        assertThat(decide(policy, "agent-a", "echo", "{\"message\":\"my API_KEY is 42\"}")).isEqualTo("denied");
        assertThat(decide(policy, "agent-a", "get-sum", "{\"a\":2,\"b\":3}")).isEqualTo("allowed");
        assertThat(decide(policy, "agent-a", "get-sum", "{\"a\":1e4,\"b\":3}")).isEqualTo("denied");
        assertThat(decide(policy, "agent-a", "get-sum", "{\"a\":\"2\",\"b\":3}")).isEqualTo("invalid_arguments");
        assertThat(decide(policy, "agent-a", "get-env", "{}")).isEqualTo("denied");
        assertThat(decide(policy, "agent-a", "trigger-sampling-request", "{}")).isEqualTo("denied");
        assertThat(decide(policy, "agent-a", "trigger-long-running-operation", "{}")).isEqualTo("approval_required");
        assertThat(decide(policy, "agent-a", "get-tiny-image", "{}")).as("default deny").isEqualTo("denied");
        assertThat(policy.neverCallable("get-env")).isTrue();

        // echo: 5 a minute per agent; one was used above.
        List<String> echoes = java.util.stream.IntStream.range(0, 5)
                .mapToObj(i -> decide(policy, "agent-a", "echo", "{\"message\":\"m\"}")).toList();
        assertThat(echoes).containsExactly("allowed", "allowed", "allowed", "allowed", "rate_limited");
        assertThat(decide(policy, "agent-b", "echo", "{\"message\":\"m\"}")).as("another agent has its own budget").isEqualTo("allowed");
    }

    private static String decide(Policy policy, String agent, String tool, String arguments) {
        try {
            Decision decision = policy.decide(new ToolCall(tool, JSON.readTree(arguments), agent, "session-" + agent), NOW);
            return decision.verdict().label();
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ExamplePoliciesTest.class.getResourceAsStream(name)) {
            assertThat(in).as("test resource %s", name).isNotNull();
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
