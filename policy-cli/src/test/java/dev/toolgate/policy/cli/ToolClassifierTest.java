package dev.toolgate.policy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.cli.ToolClassifier.ToolClass;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The word rules of {@link ToolClassifier}; the whole classification is tested against real servers in StarterCommandIT. */
class ToolClassifierTest {

    private static ToolClass classOf(String toolJson) throws Exception {
        JsonNode tool = McpToolsClient.JSON.readTree(toolJson.replace('\'', '"'));
        return ToolClassifier.classify(tool).toolClass();
    }

    @Test
    void namesSplitIntoWordsWhateverTheirCase() {
        assertThat(ToolClassifier.words("getUserByID")).containsExactly("get", "user", "by", "id");
        assertThat(ToolClassifier.words("get_user-by.id")).containsExactly("get", "user", "by", "id");
        assertThat(ToolClassifier.words("WizCommerce Open API_PostCustomers")).containsExactly("wiz", "commerce", "open", "api", "post", "customers");
    }

    @Test
    void theFirstVerbDecidesReadOrWriteAndMoneyOrHarmAnywhereWins() throws Exception {
        assertThat(classOf("{'name':'get_message'}")).isEqualTo(ToolClass.READ);
        assertThat(classOf("{'name':'send_message'}")).isEqualTo(ToolClass.WRITE);
        assertThat(classOf("{'name':'WizCommerce Open API_PostCustomers'}")).isEqualTo(ToolClass.WRITE);
        assertThat(classOf("{'name':'list_then_delete_branches'}")).isEqualTo(ToolClass.DESTRUCTIVE);
        assertThat(classOf("{'name':'get_balance'}")).as("reading money is a read").isEqualTo(ToolClass.READ);
        assertThat(classOf("{'name':'set_price'}")).isEqualTo(ToolClass.FINANCIAL);
        assertThat(classOf("{'name':'stripe_refund'}")).isEqualTo(ToolClass.FINANCIAL);
        assertThat(classOf("{'name':'frobnicate'}")).as("no known verb: a write").isEqualTo(ToolClass.WRITE);
    }

    @Test
    void hintsOnlyTightenAndAbsentHintsAreNotTheSpecsDefaults() throws Exception {
        assertThat(classOf("{'name':'get_user'}")).as("no annotations: not destructive by default").isEqualTo(ToolClass.READ);
        assertThat(classOf("{'name':'delete_user','annotations':{'readOnlyHint':true,'destructiveHint':false}}")).isEqualTo(ToolClass.DESTRUCTIVE);
        assertThat(classOf("{'name':'get_user','annotations':{'destructiveHint':true}}")).isEqualTo(ToolClass.DESTRUCTIVE);
        assertThat(classOf("{'name':'get_user','annotations':{'openWorldHint':false,'idempotentHint':true}}")).isEqualTo(ToolClass.READ);
        assertThat(classOf("{'name':'get_user','annotations':'readOnly'}")).as("hints of the wrong shape count for nothing").isEqualTo(ToolClass.READ);
        assertThat(classOf("{'name':'get_user','annotations':{'readOnlyHint':'false'}}")).isEqualTo(ToolClass.READ);
    }
}
