package dev.toolgate.sidecar.observe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestFactsTest {

    @Test
    void onlyAValidTraceparentGivesATraceId() {
        assertThat(RequestFacts.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(RequestFacts.traceId(null)).isNull();
        assertThat(RequestFacts.traceId("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).as("all-zero trace id").isNull();
        assertThat(RequestFacts.traceId("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).as("version ff").isNull();
        assertThat(RequestFacts.traceId("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")).as("upper case").isNull();
        assertThat(RequestFacts.traceId("00-4bf92f35\"},\"x\":1-00f067aa0ba902b7-01")).as("an injection attempt").isNull();
        assertThat(RequestFacts.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".repeat(20))).as("absurdly long").isNull();
    }
}
