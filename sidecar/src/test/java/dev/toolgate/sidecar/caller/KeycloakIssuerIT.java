package dev.toolgate.sidecar.caller;

import com.nimbusds.jwt.SignedJWT;
import dev.toolgate.policy.Caller;
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
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JWTs of a real OIDC provider (Keycloak, client-credentials tokens): keys found through its OpenID discovery, and a
 * key rotation at the provider while calls run.
 */
class KeycloakIssuerIT {

    private static Keycloak keycloak;
    private static Vertx vertx;
    private static HttpServer front;
    private static BearerCallerResolver resolver;
    private static SigningKeys keys;
    private static final AtomicInteger fetches = new AtomicInteger();
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        keycloak = Keycloak.start();
        vertx = Vertx.vertx();
        String issuer = keycloak.issuer();
        keys = new SigningKeys(issuer, new JwksFetcher(vertx, issuer, Optional.empty(), Optional.empty(), Optional.empty()),
                Duration.ofSeconds(1), Clock.systemUTC(), outcome -> fetches.incrementAndGet());
        keys.refresh().toCompletableFuture().get(20, TimeUnit.SECONDS);
        resolver = new BearerCallerResolver(List.of(new TrustedIssuer(issuer, List.of("toolgate-mcp"), List.of("RS256", "ES256"),
                Duration.ofSeconds(30), keys, Caller.Source.JWT, TrustedIssuer.oidc("preferred_username", "groups"))), 8192, false, Set.of(), Clock.systemUTC());
        front = vertx.createHttpServer().requestHandler(request -> resolver.resolve(request).whenComplete((resolution, failure) -> {
            JsonObject answer = new JsonObject();
            if (resolution instanceof Resolution.Identified identified) {
                answer.put("subject", identified.caller().subject()).put("source", identified.caller().source().name());
            } else if (resolution instanceof Resolution.Unauthenticated refused) {
                answer.put("error", refused.error()).put("description", refused.description());
            }
            request.response().end(answer.encode());
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            vertx.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    private static JsonObject resolve(String token) throws Exception {
        return new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.actualPort() + "/mcp"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void aClientCredentialsTokenNamesItsClientThroughDiscovery() throws Exception {
        JsonObject answer = resolve(keycloak.token());
        assertThat(answer.getString("subject")).as(answer.encode()).isEqualTo("service-account-agent-a");
        assertThat(answer.getString("source")).isEqualTo("JWT");
    }

    @Test
    void keyRotationWhileCallsRunLosesNoValidCallAndTheRemovedKeyStopsVerifying() throws Exception {
        String before = keycloak.token();
        String oldKid = SignedJWT.parse(before).getHeader().getKeyID();
        List<String> oldComponents = keycloak.signingKeyComponents().stream().map(c -> c.getString("id")).toList();
        AtomicBoolean running = new AtomicBoolean(true);
        List<String> failures = new CopyOnWriteArrayList<>();
        Set<String> kidsSeen = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        Thread caller = new Thread(() -> {
            while (running.get()) {
                try {
                    String token = keycloak.token();
                    kidsSeen.add(SignedJWT.parse(token).getHeader().getKeyID());
                    JsonObject answer = resolve(token);
                    calls.incrementAndGet();
                    if (!"service-account-agent-a".equals(answer.getString("subject"))) {
                        failures.add(answer.encode());
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        });
        caller.start();
        try {
            Thread.sleep(1000);
            keycloak.addSigningKey(200);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (kidsSeen.stream().allMatch(oldKid::equals) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            for (String component : oldComponents) {
                keycloak.removeKey(component);
            }
            Thread.sleep(2000);
        } finally {
            running.set(false);
            caller.join(30_000);
        }
        assertThat(kidsSeen).as("tokens were signed by the old key, then by the new one").contains(oldKid).hasSizeGreaterThanOrEqualTo(2);
        assertThat(failures).as("valid calls refused during the rotation, of " + calls.get()).isEmpty();
        assertThat(calls.get()).isGreaterThan(5);

        // The next refresh (the sidecar's keys-refresh-interval timer) no longer finds the old key.
        keys.refresh().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertThat(keys.keyIds()).doesNotContain(oldKid);
        JsonObject old = resolve(before);
        assertThat(old.getString("error")).isEqualTo("invalid_token");
        assertThat(old.getString("description")).contains("signature does not verify");
        assertThat(resolve(keycloak.token()).getString("subject")).isEqualTo("service-account-agent-a");
    }
}
