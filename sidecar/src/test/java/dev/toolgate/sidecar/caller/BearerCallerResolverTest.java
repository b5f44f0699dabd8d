package dev.toolgate.sidecar.caller;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.toolgate.policy.Caller;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The resolver against forged tokens, with real Vert.x requests: a test HTTP server serves the issuer's JWKS (and
 * counts its fetches), another hands each request it receives to the resolver and answers with the resolution.
 */
class BearerCallerResolverTest {

    private static final String ISSUER_PATH = "/issuer";
    private static final String AUDIENCE = "toolgate-mcp";

    private static Vertx vertx;
    private static HttpServer jwksServer;
    private static final AtomicReference<String> jwks = new AtomicReference<>();
    private static final AtomicInteger jwksFetches = new AtomicInteger();
    private static final AtomicReference<Integer> jwksStatus = new AtomicReference<>(200);
    private static String issuer;
    private static final HttpClient http = HttpClient.newHttpClient();

    private static RSAKey rsa;
    private static ECKey ec;

    private HttpServer front;
    private BearerCallerResolver resolver;
    private SigningKeys keys;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        jwksServer = vertx.createHttpServer().requestHandler(request -> {
            if (request.path().endsWith("/.well-known/openid-configuration")) {
                request.response().putHeader("Content-Type", "application/json").end(new JsonObject()
                        .put("issuer", issuer).put("jwks_uri", issuer + "/keys").encode());
                return;
            }
            jwksFetches.incrementAndGet();
            request.response().setStatusCode(jwksStatus.get()).putHeader("Content-Type", "application/json").end(jwks.get());
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        issuer = "http://127.0.0.1:" + jwksServer.actualPort() + ISSUER_PATH;
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    @BeforeEach
    void resolver() throws Exception {
        serve(rsa, ec);
        jwksStatus.set(200);
        resolverWith(Duration.ofMinutes(10), Optional.empty());
    }

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        volatile Instant now = Instant.now();

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final MovableClock clock = new MovableClock();

    private void resolverWith(Duration minRefetch, Optional<String> jwksUrl) throws Exception {
        if (front != null) {
            front.close();
        }
        JwksFetcher fetcher = new JwksFetcher(vertx, issuer, jwksUrl, Optional.empty(), Optional.empty());
        keys = new SigningKeys(issuer, fetcher, minRefetch, clock, outcome -> {
        });
        keys.refresh().toCompletableFuture().get(10, TimeUnit.SECONDS);
        TrustedIssuer trusted = new TrustedIssuer(issuer, List.of(AUDIENCE, "other-name-of-us"), List.of("RS256", "ES256", "PS256"),
                Duration.ofSeconds(30), keys, Caller.Source.JWT, TrustedIssuer.oidc("sub", "groups"));
        resolver = new BearerCallerResolver(List.of(trusted), 8192, false, Set.of("X-Agent-Id"), clock);
        front = vertx.createHttpServer(new HttpServerOptions().setMaxHeaderSize(64 * 1024)).requestHandler(request ->
                resolver.resolve(request).whenComplete((resolution, failure) -> {
                    JsonObject answer;
                    if (resolution instanceof Resolution.Identified identified) {
                        answer = new JsonObject().put("subject", identified.caller().subject())
                                .put("groups", List.copyOf(identified.caller().groups())).put("source", identified.caller().source().name())
                                .put("sameContext", io.vertx.core.Vertx.currentContext() != null);
                    } else {
                        Resolution.Unauthenticated refused = (Resolution.Unauthenticated) resolution;
                        answer = new JsonObject().put("error", refused.error()).put("description", refused.description());
                    }
                    request.response().end(answer.encode());
                })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void serve(JWK... served) {
        jwks.set(new JWKSet(List.of(served)).toPublicJWKSet().toString());
    }

    private static JWTClaimsSet.Builder claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(issuer).subject("agent-7").audience(AUDIENCE)
                .claim("groups", List.of("payments", "agents"))
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300)));
    }

    private static String sign(JWSAlgorithm algorithm, JWK key, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
        JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String rs256(JWTClaimsSet claims) throws Exception {
        return sign(JWSAlgorithm.RS256, rsa, claims);
    }

    private JsonObject send(String pathAndQuery, Consumer<HttpRequest.Builder> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.actualPort() + pathAndQuery));
        headers.accept(request);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new JsonObject(response.body());
    }

    /** Bytes as written, for what java.net.http would fold or refuse; the answer's body. */
    private JsonObject raw(String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", front.actualPort())) {
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            int length = 0;
            for (String line = reader.readLine(); line != null && !line.isEmpty(); line = reader.readLine()) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            char[] body = new char[length];
            int read = 0;
            while (read < length) {
                read += reader.read(body, read, length - read);
            }
            return new JsonObject(new String(body));
        }
    }

    private JsonObject bearer(String token) throws Exception {
        return send("/mcp", r -> r.header("Authorization", "Bearer " + token));
    }

    @Test
    void aValidTokenNamesItsSubjectAndGroups() throws Exception {
        JsonObject answer = bearer(rs256(claims().build()));
        assertThat(answer.getString("subject")).isEqualTo("agent-7");
        assertThat(answer.getJsonArray("groups").getList()).containsExactlyInAnyOrder("payments", "agents");
        assertThat(answer.getString("source")).isEqualTo("JWT");
        assertThat(answer.getBoolean("sameContext")).isTrue();

        JsonObject ecAnswer = send("/mcp", r -> r.header("Authorization", "bearer " + uncheck(() -> sign(JWSAlgorithm.ES256, ec, claims().subject("agent-ec").build()))));
        assertThat(ecAnswer.getString("subject")).isEqualTo("agent-ec");
        // aud as an array holding one of ours passes.
        assertThat(bearer(rs256(claims().audience(List.of("someone-else", "other-name-of-us")).build())).getString("subject")).isEqualTo("agent-7");
    }

    @Test
    void aRememberedTokenStopsAtItsExpiry() throws Exception {
        String token = rs256(claims().expirationTime(Date.from(clock.now.plusSeconds(60))).build());
        assertThat(bearer(token).getString("subject")).isEqualTo("agent-7");
        clock.now = clock.now.plusSeconds(80); // within exp + 30 s of skew: still the remembered caller
        assertThat(bearer(token).getString("subject")).isEqualTo("agent-7");
        clock.now = clock.now.plusSeconds(20);
        assertRefused(bearer(token), "invalid_token", "token expired at");
    }

    @Test
    void noTokenIsAChallengeWithoutError() throws Exception {
        JsonObject answer = send("/mcp", r -> {
        });
        assertThat(answer.getString("error")).isNull();
        assertThat(answer.getString("description")).isEqualTo("no bearer token");
    }

    @Test
    void algNoneIsRefused() throws Exception {
        String unsigned = new PlainJWT(claims().build()).serialize();
        assertRefused(bearer(unsigned), "invalid_token", "alg none");
        // The same with a trailing signature part and an "alg":"none" written by hand in another case.
        String header = Base64URL.encode("{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}").toString();
        String body = Base64URL.encode(claims().build().toString()).toString();
        assertRefused(bearer(header + "." + body + ".AAAA"), "invalid_token", "alg none");
    }

    @Test
    void hmacWithThePublicKeyAsSecretIsRefused() throws Exception {
        // The classic confusion: HS256 keyed with the RSA public key's bytes, as a verifier that trusts "alg" would check it.
        byte[] publicKey = rsa.toRSAPublicKey().getEncoded();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(), claims().build());
        forged.sign(new MACSigner(java.util.Arrays.copyOf(publicKey, Math.max(32, publicKey.length))));
        assertRefused(bearer(forged.serialize()), "invalid_token", "algorithm HS256 is not accepted");
    }

    @Test
    void anUnknownKeyIdFetchesTheKeysAtMostOncePerInterval() throws Exception {
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        resolverWith(Duration.ofSeconds(30), Optional.empty());
        RSAKey attacker = new RSAKeyGenerator(2048).generate();
        List<String> forged = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            forged.add(sign(JWSAlgorithm.RS256, new RSAKey.Builder(attacker).keyID(UUID.randomUUID().toString()).build(), claims().build()));
        }
        int before = jwksFetches.get();
        for (String token : forged.subList(0, 10)) {
            assertRefused(bearer(token), "invalid_token", "signature does not verify");
        }
        assertThat(jwksFetches.get() - before).as("fetches within the interval of the startup fetch").isZero();
        clock.now = clock.now.plusSeconds(31);
        for (String token : forged.subList(10, 20)) {
            assertRefused(bearer(token), "invalid_token", "signature does not verify");
        }
        assertThat(jwksFetches.get() - before).as("JWKS fetches for 20 unknown key ids").isEqualTo(1);
        // Signed by another key under a known key id: the signature fails, no fetch.
        assertRefused(bearer(sign(JWSAlgorithm.RS256, stranger, claims().build())), "invalid_token", "signature does not verify");
        assertThat(jwksFetches.get() - before).isEqualTo(1);
    }

    @Test
    void aTokenInTheQueryStringIsRefused() throws Exception {
        String token = rs256(claims().build());
        assertRefused(send("/mcp?access_token=" + token, r -> {
        }), "invalid_request", "query string");
        // Refused even beside a valid header: the server might read the query's token instead.
        assertRefused(send("/mcp?x=1&access%5Ftoken=" + token, r -> r.header("Authorization", "Bearer " + token)), "invalid_request", "query string");
    }

    @Test
    void twoAuthorizationHeadersAreRefused() throws Exception {
        String token = rs256(claims().build());
        assertRefused(raw("GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nAuthorization: Bearer " + token + "\r\n\r\n"), "invalid_request", "more than one Authorization header");
    }

    @Test
    void aHeaderIdentityBesideAValidTokenIsNeverTheCaller() throws Exception {
        String token = rs256(claims().build());
        JsonObject answer = send("/mcp", r -> r.header("Authorization", "Bearer " + token).header("X-Agent-Id", "admin"));
        assertThat(answer.getString("subject")).isEqualTo("agent-7");
        assertThat(resolver.consumedHeaders().contains("x-agent-id") && resolver.consumedHeaders().contains("authorization")).isTrue();
    }

    @Test
    void aHugeTokenIsRefusedBeforeParsing() throws Exception {
        String huge = rs256(claims().claim("padding", "x".repeat(20_000)).build());
        assertRefused(bearer(huge), "invalid_request", "longer than 8192 bytes");
    }

    @Test
    void claimsThatDoNotHoldAreRefused() throws Exception {
        Instant now = Instant.now();
        assertRefused(bearer(rs256(claims().audience(List.of("billing", "crm")).build())), "invalid_token", "audience [billing, crm] holds none of");
        assertRefused(bearer(rs256(claims().audience((String) null).build())), "invalid_token", "audience missing");
        assertRefused(bearer(rs256(claims().expirationTime(Date.from(now.minusSeconds(31))).build())), "invalid_token", "expired");
        assertRefused(bearer(rs256(claims().expirationTime(null).build())), "invalid_token", "exp is required");
        assertRefused(bearer(rs256(claims().notBeforeTime(Date.from(now.plusSeconds(120))).build())), "invalid_token", "not valid before");
        assertRefused(bearer(rs256(claims().issuer(issuer + "/").build())), "invalid_token", "is not trusted");
        assertRefused(bearer(rs256(claims().subject(null).build())), "invalid_token", "claim sub (the subject) is missing");
        assertRefused(bearer(rs256(claims().claim("groups", List.of("ok", 7)).build())), "invalid_token", "groups");
        // Within the clock skew, an expired-by-10s token still passes.
        assertThat(bearer(rs256(claims().expirationTime(Date.from(now.minusSeconds(10))).build())).getString("subject")).isEqualTo("agent-7");
        // A key of the wrong type for the algorithm: ES256 naming the RSA key's id.
        assertRefused(bearer(sign(JWSAlgorithm.ES256, new ECKeyGenerator(Curve.P_256).keyID("rsa-1").generate(), claims().build())), "invalid_token", "signature does not verify");
        assertRefused(bearer("not.a.jwt"), "invalid_token", "header is not base64url-encoded JSON");
        assertRefused(send("/mcp", r -> r.header("Authorization", "Basic YWRtaW46YWRtaW4=")), "invalid_request", "not Bearer");
    }

    @Test
    void rotatedKeysAreFetchedAndRemovedOnesStopVerifying() throws Exception {
        resolverWith(Duration.ZERO, Optional.of(issuer + "/keys"));
        RSAKey next = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        String old = rs256(claims().build());
        serve(rsa, next);
        assertThat(bearer(sign(JWSAlgorithm.RS256, next, claims().subject("after-rotation").build())).getString("subject")).isEqualTo("after-rotation");
        assertThat(bearer(old).getString("subject")).isEqualTo("agent-7");
        serve(next, ec);
        keys.refresh().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertRefused(bearer(old), "invalid_token", "signature does not verify");
    }

    @Test
    void unreachableKeysRefuseEveryTokenAndTheLastGoodSetIsKept() throws Exception {
        String token = rs256(claims().build());
        jwksStatus.set(500);
        keys.refresh().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(keys.lastFailure()).contains("answered HTTP 500");
        assertThat(bearer(token).getString("subject")).as("last good key set").isEqualTo("agent-7");

        SigningKeys none = new SigningKeys(issuer, new JwksFetcher(vertx, issuer, Optional.of(issuer + "/keys"), Optional.empty(), Optional.empty()),
                Duration.ZERO, Clock.systemUTC(), o -> {
                });
        await().atMost(Duration.ofSeconds(10)).until(() -> none.refresh().toCompletableFuture().handle((k, e) -> e != null).join());
        assertThat(none.problem()).contains("answered HTTP 500");
        TrustedIssuer trusted = new TrustedIssuer(issuer, List.of(AUDIENCE), List.of("RS256"), Duration.ZERO, none, Caller.Source.JWT,
                TrustedIssuer.oidc("sub", "groups"));
        BearerCallerResolver failing = new BearerCallerResolver(List.of(trusted), 8192, false, Set.of(), Clock.systemUTC());
        assertThat(failing.problems()).hasSize(1);
    }

    @Test
    void discoveryMustNameTheConfiguredIssuer() throws Exception {
        assertThat(new JwksFetcher(vertx, issuer, Optional.empty(), Optional.empty(), Optional.empty()).get()
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).contains("rsa-1");
        JwksFetcher lying = new JwksFetcher(vertx, issuer + "/tenant", Optional.empty(), Optional.empty(), Optional.empty());
        assertThat(lying.get().toCompletionStage().toCompletableFuture().handle((body, e) -> e.getMessage()).get(10, TimeUnit.SECONDS))
                .contains("names issuer \"" + issuer + "\"");
    }

    @Test
    void badSettingsAreNamed() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TrustedIssuer(issuer, List.of(AUDIENCE), List.of("HS256"), Duration.ZERO, keys,
                Caller.Source.JWT, TrustedIssuer.oidc("sub", "groups"))).hasMessageContaining("algorithm \"HS256\"").hasMessageContaining("never HMAC");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TrustedIssuer(issuer, List.of(AUDIENCE), List.of("none"), Duration.ZERO, keys,
                Caller.Source.JWT, TrustedIssuer.oidc("sub", "groups"))).hasMessageContaining("algorithm \"none\"");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TrustedIssuer(issuer, List.of(), List.of("RS256"), Duration.ZERO, keys,
                Caller.Source.JWT, TrustedIssuer.oidc("sub", "groups"))).hasMessageContaining("needs at least one audience");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TrustedIssuer("not a url", List.of(AUDIENCE), List.of("RS256"), Duration.ZERO, keys,
                Caller.Source.JWT, TrustedIssuer.oidc("sub", "groups"))).hasMessageContaining("issuer \"not a url\"");
    }

    @Test
    void theChallengeQuotesNothingTheClientCouldUseToBreakIt() {
        String value = BearerChallenge.header(new Resolution.Unauthenticated("invalid_token", "issuer \"evil\\\", error=\"x\r\nSet-Cookie: a\" is not trusted"),
                "https://mcp.example/.well-known/oauth-protected-resource/mcp");
        assertThat(value).isEqualTo("Bearer resource_metadata=\"https://mcp.example/.well-known/oauth-protected-resource/mcp\", error=\"invalid_token\", "
                + "error_description=\"issuer ?evil??, error=?x??Set-Cookie: a? is not trusted\"");
        assertThat(BearerChallenge.header(new Resolution.Unauthenticated(null, "no bearer token"), "https://m/.well-known/oauth-protected-resource"))
                .isEqualTo("Bearer resource_metadata=\"https://m/.well-known/oauth-protected-resource\"");
    }

    private static void assertRefused(JsonObject answer, String error, String descriptionPart) {
        assertThat(answer.getString("subject")).as("caller of a refused token").isNull();
        assertThat(answer.getString("error")).isEqualTo(error);
        assertThat(answer.getString("description")).contains(descriptionPart);
    }

    private interface Throwing<T> {
        T get() throws Exception;
    }

    private static <T> T uncheck(Throwing<T> supplier) {
        try {
            return supplier.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
