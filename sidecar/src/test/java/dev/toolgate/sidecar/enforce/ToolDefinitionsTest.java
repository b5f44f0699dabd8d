package dev.toolgate.sidecar.enforce;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The announced definitions of pinned tools, and what notifications/tools/list_changed does to them. */
class ToolDefinitionsTest {

    private static final String PIN = "sha256:" + "11".repeat(32);
    private static final String OTHER = "sha256:" + "22".repeat(32);

    private final List<String> events = new ArrayList<>();
    private final ToolDefinitions definitions = new ToolDefinitions(new ToolDefinitions.Listener() {
        @Override
        public void changed(ToolDefinitions.Change change) {
            events.add((change.restored() ? "restored " : "changed ") + change.tool());
        }

        @Override
        public void unverified(List<String> tools) {
            events.add("unverified " + tools);
        }

        @Override
        public void reverified(String tool, String pin, String announced, boolean matches) {
            events.add((matches ? "verified " : "reverified-changed ") + tool);
        }
    });

    @Test
    void listChangedMakesEveryPinnedToolUnverifiedUntilTheNextListing() {
        definitions.announced("echo", PIN, PIN);
        definitions.announced("add", PIN, PIN);
        assertThat(definitions.digest("echo")).isEqualTo(PIN);
        assertThat(definitions.unverified("echo")).isFalse();

        definitions.listChanged();
        assertThat(definitions.digest("echo")).as("fail closed: no digest while unverified").isNull();
        assertThat(definitions.unverified("echo")).isTrue();
        assertThat(definitions.unverified("add")).isTrue();
        assertThat(definitions.unverified("never-listed")).as("never announced is not unverified").isFalse();
        assertThat(events).containsExactly("unverified [add, echo]");

        definitions.listChanged(); // again: nothing more was verified, so nothing more to report
        assertThat(events).containsExactly("unverified [add, echo]");

        definitions.announced("echo", PIN, PIN);
        assertThat(definitions.digest("echo")).isEqualTo(PIN);
        assertThat(definitions.unverified("echo")).isFalse();
        assertThat(definitions.digest("add")).as("only the tool listed again is verified").isNull();
        assertThat(events).containsExactly("unverified [add, echo]", "verified echo");

        definitions.announced("add", OTHER, PIN);
        assertThat(definitions.digest("add")).isEqualTo(OTHER);
        assertThat(events).containsExactly("unverified [add, echo]", "verified echo", "reverified-changed add", "changed add");

        definitions.announced("echo", PIN, PIN); // an ordinary listing: no re-verification to report
        assertThat(events).hasSize(4);
    }

    @Test
    void aToolAlreadyChangedIsNotReportedAsUnverifiedButIsReportedWhenListedAgain() {
        definitions.announced("echo", OTHER, PIN);
        definitions.listChanged();
        assertThat(events).containsExactly("changed echo");
        assertThat(definitions.digest("echo")).isNull();
        assertThat(definitions.unverified("echo")).isTrue();

        definitions.announced("echo", PIN, PIN);
        assertThat(events).containsExactly("changed echo", "verified echo", "restored echo");
        assertThat(definitions.digest("echo")).isEqualTo(PIN);
    }
}
