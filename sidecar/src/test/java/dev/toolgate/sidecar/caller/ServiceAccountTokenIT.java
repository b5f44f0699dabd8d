package dev.toolgate.sidecar.caller;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.toolgate.policy.Caller;
import dev.toolgate.testsupport.RealApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Service-account tokens issued by a real kube-apiserver (TokenRequest with an audience), verified by the sidecar
 * against that API server's JWKS, read with a service-account bearer from a token file and the cluster CA, as in a pod.
 */
class ServiceAccountTokenIT {

    private static final String NAMESPACE = "agents";
    private static final String AUDIENCE = "toolgate";
    /** kube-api-test runs the API server with --service-account-issuer=https://localhost. */
    private static final String ISSUER = "https://localhost";

    private static RealApiServer apiServer;
    private static KubernetesClient admin;
    private static Vertx vertx;
    private static Path caFile;
    private static Path tokenFile;
    private static String jwksUrl;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        apiServer = RealApiServer.start();
        Config config = apiServer.adminConfig();
        admin = new KubernetesClientBuilder().withConfig(config).build();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).serverSideApply();
        for (String name : List.of("agent-a", "toolgate-sidecar")) {
            admin.serviceAccounts().inNamespace(NAMESPACE).resource(new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
                    .serverSideApply();
        }
        caFile = Files.createTempFile("kube-ca-", ".crt");
        Files.writeString(caFile, config.getCaCertData() != null
                ? new String(Base64.getDecoder().decode(config.getCaCertData()), StandardCharsets.US_ASCII)
                : Files.readString(Path.of(config.getCaCertFile())));
        tokenFile = Files.createTempFile("sidecar-token-", "");
        Files.writeString(tokenFile, token("toolgate-sidecar", ISSUER) /* the API server accepts its own audience, the issuer */);
        jwksUrl = config.getMasterUrl().replaceAll("/+$", "") + "/openid/v1/jwks";
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        if (vertx != null) {
            vertx.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (apiServer != null) {
            apiServer.close();
        }
    }

    private static String token(String serviceAccount, String audience) {
        return admin.serviceAccounts().inNamespace(NAMESPACE).withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withAudiences(audience).withExpirationSeconds(600L).endSpec().build())
                .getStatus().getToken();
    }

    private static BearerCallerResolver resolver(Path bearer, Clock clock) throws Exception {
        SigningKeys keys = new SigningKeys(ISSUER, new JwksFetcher(vertx, ISSUER, Optional.of(jwksUrl), Optional.of(caFile), Optional.of(bearer)),
                Duration.ofSeconds(1), clock, outcome -> {
                });
        keys.refresh().toCompletableFuture().handle((k, e) -> null).get(20, TimeUnit.SECONDS);
        TrustedIssuer issuer = new TrustedIssuer(ISSUER, List.of(AUDIENCE), List.of("RS256", "ES256"), Duration.ofSeconds(30), keys,
                Caller.Source.SERVICE_ACCOUNT, TrustedIssuer.serviceAccount());
        return new BearerCallerResolver(List.of(issuer), 8192, false, Set.of(), clock);
    }

    /** Resolves one request carrying {@code token} through a real Vert.x server. */
    private static JsonObject resolve(BearerCallerResolver resolver, String token) throws Exception {
        HttpServer front = vertx.createHttpServer().requestHandler(request -> resolver.resolve(request).whenComplete((resolution, failure) -> {
            JsonObject answer = new JsonObject();
            if (resolution instanceof Resolution.Identified identified) {
                answer.put("subject", identified.caller().subject()).put("groups", List.copyOf(identified.caller().groups()))
                        .put("source", identified.caller().source().name());
            } else if (resolution instanceof Resolution.Unauthenticated refused) {
                answer.put("error", refused.error()).put("description", refused.description());
            }
            request.response().end(answer.encode());
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.actualPort() + "/mcp"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            return new JsonObject(response.body());
        } finally {
            front.close();
        }
    }

    @Test
    void aProjectedTokenOfTheAudienceNamesItsServiceAccount() throws Exception {
        BearerCallerResolver resolver = resolver(tokenFile, Clock.systemUTC());
        assertThat(resolver.problems()).isEmpty();
        JsonObject answer = resolve(resolver, token("agent-a", AUDIENCE));
        assertThat(answer.getString("subject")).isEqualTo("system:serviceaccount:agents:agent-a");
        assertThat(answer.getJsonArray("groups").getList())
                .containsExactlyInAnyOrder("system:serviceaccounts", "system:serviceaccounts:agents", "system:authenticated");
        assertThat(answer.getString("source")).isEqualTo("SERVICE_ACCOUNT");
    }

    @Test
    void tokensForAnotherAudienceExpiredOrSignedByAnotherKeyAreRefused() throws Exception {
        BearerCallerResolver resolver = resolver(tokenFile, Clock.systemUTC());
        JsonObject otherAudience = resolve(resolver, token("agent-a", "vault"));
        assertThat(otherAudience.getString("error")).isEqualTo("invalid_token");
        assertThat(otherAudience.getString("description")).contains("audience [vault] holds none of [toolgate]");

        // The API server mints at least ten minutes; the sidecar's clock eleven minutes on sees it expired.
        String valid = token("agent-a", AUDIENCE);
        JsonObject expired = resolve(resolver(tokenFile, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(11))), valid);
        assertThat(expired.getString("description")).contains("token expired at");

        // The same claims and key id, signed by a key the API server never had.
        SignedJWT real = SignedJWT.parse(valid);
        RSAKey stranger = new RSAKeyGenerator(2048).generate();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(real.getHeader().getKeyID()).build(), real.getJWTClaimsSet());
        forged.sign(new RSASSASigner(stranger));
        JsonObject otherKey = resolve(resolver, forged.serialize());
        assertThat(otherKey.getString("error")).isEqualTo("invalid_token");
        assertThat(otherKey.getString("description")).contains("signature does not verify");
    }

    @Test
    void theJwksIsReadWithTheTokenFileReReadOnEveryFetch() throws Exception {
        Path rotating = Files.createTempFile("sidecar-token-", "");
        Files.writeString(rotating, "not-a-token");
        BearerCallerResolver resolver = resolver(rotating, Clock.systemUTC());
        SigningKeys keys = resolver.issuers().get(0).keys();
        assertThat(keys.problem()).as("the API server refuses the JWKS to an unauthenticated reader").contains("answered HTTP 401");
        JsonObject refused = resolve(resolver, token("agent-a", AUDIENCE));
        assertThat(refused.getString("description")).contains("signing keys of issuer https://localhost are not available");

        Files.writeString(rotating, token("toolgate-sidecar", ISSUER) /* the API server accepts its own audience, the issuer */);
        Thread.sleep(1100); // past the least refetch interval
        JsonObject answer = resolve(resolver, token("agent-a", AUDIENCE));
        assertThat(answer.getString("subject")).isEqualTo("system:serviceaccount:agents:agent-a");
        assertThat(keys.problem()).isNull();
    }
}
