package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tracing off (the default), with an OTLP endpoint configured all the same: the client's trace headers reach the MCP
 * server exactly as sent, and nothing is exported or even connected to.
 */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class TracingOffIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    @Test
    void theClientsTraceHeadersPassUnchangedAndNothingIsExported() throws Exception {
        var session = new TestSupport.RawSession();
        String marker = "marker-" + UUID.randomUUID();
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        HttpResponse<String> answer = session.post("/mcp", TestSupport.callBody(21, "echo", "{\"message\":\"" + marker + "\"}"),
                Map.of("traceparent", traceparent, "tracestate", "vendor=opaque", "baggage", "tenant=a"));
        assertThat(answer.statusCode()).isEqualTo(200);
        TestSupport.post("/mcp", TestSupport.callBody(22, "get-env", "{}"), Map.of("traceparent", traceparent));

        List<RecordingUpstream.Received> received = SidecarTestResource.recorder.received().stream()
                .filter(r -> r.body().contains(marker)).toList();
        assertThat(received).hasSize(1);
        assertThat(received.get(0).headers().getAll("traceparent")).containsExactly(traceparent);
        assertThat(received.get(0).headers().getAll("tracestate")).containsExactly("vendor=opaque");
        assertThat(received.get(0).headers().getAll("baggage")).containsExactly("tenant=a");

        // ten times the batch delay the profile configures (100 ms): an enabled exporter would have sent by now
        Thread.sleep(1000);
        assertThat(SidecarTestResource.otlp.connections()).as("connections to the OTLP endpoint").isZero();
        assertThat(SidecarTestResource.otlp.spans()).isEmpty();
    }
}
