package dev.toolgate.sidecar;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A legacy HTTP+SSE session belongs to the verified identity whose event stream announced its endpoint. */
@QuarkusTest
@TestProfile(Profiles.VerifiedJwtLegacy.class)
class VerifiedLegacySessionIT {

    @Test
    void anotherIdentityCannotPostToTheEndpointOfAStreamItDidNotOpen() throws Exception {
        Map<String, String> alice = Map.of("Authorization", "Bearer " + TestIssuer.token("agent-alice"));
        try (RawLegacySession session = new RawLegacySession(alice)) {
            int before = SidecarTestResource.recorder.received().size();
            HttpResponse<String> asBob = RawLegacySession.post(session.endpoint, TestSupport.callBody(7, "echo", "{\"message\":\"as bob\"}"),
                    Map.of("Authorization", "Bearer " + TestIssuer.token("agent-bob")));
            assertThat(asBob.statusCode()).isEqualTo(403);
            assertThat(SidecarTestResource.recorder.received()).hasSize(before);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Files.readString(SidecarTestResource.auditLog))
                    .contains("\"reason\":\"session\"", "\"identity\":\"agent-bob\",\"session\":\"" + session.sessionId() + "\""));

            HttpResponse<String> asAlice = RawLegacySession.post(session.endpoint, TestSupport.callBody(8, "echo", "{\"message\":\"as alice\"}"), alice);
            assertThat(asAlice.statusCode()).isEqualTo(202);
            assertThat(session.next(Duration.ofSeconds(10)).toString()).contains("as alice");
        }
    }
}
