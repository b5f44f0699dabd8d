package dev.toolgate.sidecar;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A JWKS nobody serves at startup: the sidecar fails closed (not Ready, every call 401, counted), never trusting the header. */
@QuarkusTest
@TestProfile(Profiles.UnreachableIssuer.class)
class UnreachableIssuerIT {

    @Test
    void notReadyEveryTokenRefusedAndTheHeaderNeverTrusted() throws Exception {
        int before = SidecarTestResource.recorder.received().size();
        HttpResponse<String> ready = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.managementUrl() + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("toolgate-identity", "could not be fetched");
        await().atMost(Duration.ofSeconds(10)).until(() -> TestSupport.sample(TestSupport.metrics(),
                "toolgate_identity_key_fetches_total{issuer=\"" + Profiles.UnreachableIssuer.ISSUER + "\",outcome=\"failure\"}") >= 1);

        Instant now = Instant.now();
        SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k").build(), new JWTClaimsSet.Builder()
                .issuer(Profiles.UnreachableIssuer.ISSUER).audience("toolgate-e2e").subject("agent").expirationTime(Date.from(now.plusSeconds(60))).build());
        token.sign(new RSASSASigner(new RSAKeyGenerator(2048).generate()));
        HttpResponse<String> call = TestSupport.post("/mcp", TestSupport.callBody(1, "echo", "{\"message\":\"hi\"}"),
                Map.of("Authorization", "Bearer " + token.serialize(), "X-Agent-Id", "admin"));
        assertThat(call.statusCode()).isEqualTo(401);
        assertThat(call.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"", "are not available");
        HttpResponse<String> headerOnly = TestSupport.post("/mcp", TestSupport.callBody(2, "echo", "{\"message\":\"hi\"}"), Map.of("X-Agent-Id", "admin"));
        assertThat(headerOnly.statusCode()).isEqualTo(401);
        assertThat(SidecarTestResource.recorder.received()).hasSize(before);
    }
}
