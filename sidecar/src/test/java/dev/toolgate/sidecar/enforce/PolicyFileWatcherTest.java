package dev.toolgate.sidecar.enforce;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyFileWatcherTest {

    private static WatchEvent<Object> event(WatchEvent.Kind<?> kind, Object context) {
        return new WatchEvent<>() {
            @SuppressWarnings("unchecked")
            public Kind<Object> kind() {
                return (Kind<Object>) kind;
            }

            public int count() {
                return 1;
            }

            public Object context() {
                return context;
            }
        };
    }

    @Test
    void reactsToThePolicyFileAndConfigMapSwapsOnly() {
        assertThat(PolicyFileWatcher.concernsPolicy(event(StandardWatchEventKinds.ENTRY_MODIFY, Path.of("policy.json")), "policy.json")).isTrue();
        assertThat(PolicyFileWatcher.concernsPolicy(event(StandardWatchEventKinds.ENTRY_CREATE, Path.of("..data")), "policy.json")).isTrue();
        assertThat(PolicyFileWatcher.concernsPolicy(event(StandardWatchEventKinds.ENTRY_CREATE, Path.of("..2026_11_22_05_00_00.1")), "policy.json")).isTrue();
        assertThat(PolicyFileWatcher.concernsPolicy(event(StandardWatchEventKinds.OVERFLOW, null), "policy.json")).isTrue();
        // a log or anything else written next to the policy no longer causes a re-read (the periodic check remains)
        assertThat(PolicyFileWatcher.concernsPolicy(event(StandardWatchEventKinds.ENTRY_MODIFY, Path.of("sidecar.log")), "policy.json")).isFalse();
        assertThat(PolicyFileWatcher.concernsPolicy(event(StandardWatchEventKinds.ENTRY_MODIFY, Path.of("policy.json.bak")), "policy.json")).isFalse();
    }
}
