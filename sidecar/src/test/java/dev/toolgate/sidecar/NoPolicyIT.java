package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Started without a policy file: every call denied, readiness DOWN, until a valid policy appears. */
@QuarkusTest
@TestProfile(Profiles.NoPolicy.class)
class NoPolicyIT {

    @Inject
    PolicyHolder holder;

    private static HttpResponse<String> ready() throws Exception {
        return TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.managementUrl() + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void deniesEverythingAndIsNotReadyUntilAValidPolicyArrives() throws Exception {
        assertThat(holder.policy()).isEmpty();
        var readiness = ready();
        assertThat(readiness.statusCode()).isEqualTo(503);
        assertThat(readiness.body()).contains("does not exist");

        var session = new TestSupport.RawSession();
        var denied = session.post(TestSupport.callBody(1, "echo", "{\"message\":\"nopolicy-marker\"}"));
        var error = TestSupport.messages(denied).get(0).get("error");
        assertThat(error.get("code").asInt()).isEqualTo(ErrorCodes.DENIED);
        assertThat(error.get("message").asText()).contains("no valid policy is loaded");
        assertThat(SidecarTestResource.recorder.sawBodyContaining("nopolicy-marker")).isFalse();

        // An invalid file keeps it unready.
        SidecarTestResource.swapPolicy("{\"version\":\"1\",\"default\":\"sometimes\"}");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> ready().body().contains("invalid policy"));
        assertThat(ready().statusCode()).isEqualTo(503);

        TestSupport.usePolicyResource(holder, "policies/everything.json");
        assertThat(ready().statusCode()).isEqualTo(200);
        var allowed = session.post("/mcp", TestSupport.callBody(2, "echo", "{\"message\":\"now-allowed\"}"), Map.of());
        assertThat(TestSupport.messages(allowed).get(0).get("result").toString()).contains("now-allowed");
    }
}
