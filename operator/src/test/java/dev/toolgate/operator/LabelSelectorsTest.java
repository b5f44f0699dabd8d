package dev.toolgate.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;

class LabelSelectorsTest {

    private static final Map<String, String> POD = Map.of("app", "mcp", "tier", "backend");

    @Test
    void emptySelectorMatchesEverythingNullSelectorNothing() {
        assertThat(LabelSelectors.matches(new LabelSelector(), POD)).isTrue();
        assertThat(LabelSelectors.matches(null, POD)).isFalse();
    }

    @Test
    void matchLabelsAndExpressionsMustAllHold() {
        LabelSelector selector = new LabelSelectorBuilder().addToMatchLabels("app", "mcp")
                .addNewMatchExpression().withKey("tier").withOperator("In").withValues("backend", "api").endMatchExpression()
                .addNewMatchExpression().withKey("canary").withOperator("DoesNotExist").endMatchExpression()
                .build();
        assertThat(LabelSelectors.matches(selector, POD)).isTrue();
        assertThat(LabelSelectors.matches(selector, Map.of("app", "mcp", "tier", "frontend"))).isFalse();
        assertThat(LabelSelectors.matches(selector, Map.of("app", "mcp", "tier", "api", "canary", "1"))).isFalse();
    }

    @Test
    void notInMatchesAbsentKeysAndUnknownOperatorsMatchNothing() {
        assertThat(LabelSelectors.matches(new LabelSelectorBuilder().addNewMatchExpression().withKey("env").withOperator("NotIn")
                .withValues("prod").endMatchExpression().build(), POD)).isTrue();
        assertThat(LabelSelectors.matches(new LabelSelectorBuilder().addNewMatchExpression().withKey("app").withOperator("Like")
                .withValues("mcp").endMatchExpression().build(), POD)).isFalse();
    }

    @Test
    void serviceSelectorIsASubsetMatchAndEmptySelectsNothing() {
        assertThat(LabelSelectors.serviceSelects(Map.of("app", "mcp"), POD)).isTrue();
        assertThat(LabelSelectors.serviceSelects(Map.of(), POD)).isFalse();
        assertThat(LabelSelectors.serviceSelects(Map.of("app", "other"), POD)).isFalse();
    }
}
