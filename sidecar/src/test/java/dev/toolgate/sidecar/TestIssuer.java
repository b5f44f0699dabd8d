package dev.toolgate.sidecar;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OIDC issuer for the sidecar's verified-identity tests: OpenID discovery and a JWKS on a loopback port, one RSA
 * key it signs with ({@link #token}); the sidecar is configured against it ({@code toolgate.identity.jwt.*}).
 */
public class TestIssuer implements QuarkusTestResourceLifecycleManager {

    public static final String AUDIENCE = "toolgate-e2e";
    static volatile String issuer;
    static volatile RSAKey key;
    static final AtomicInteger jwksFetches = new AtomicInteger();
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        try {
            key = new RSAKeyGenerator(2048).keyID("e2e-1").generate();
            vertx = Vertx.vertx();
            HttpServer server = vertx.createHttpServer().requestHandler(request -> {
                if (request.path().equals("/realm/.well-known/openid-configuration")) {
                    request.response().putHeader("Content-Type", "application/json")
                            .end(new JsonObject().put("issuer", issuer).put("jwks_uri", issuer + "/jwks").encode());
                } else if (request.path().equals("/realm/jwks")) {
                    jwksFetches.incrementAndGet();
                    request.response().putHeader("Content-Type", "application/json").end(new JWKSet(key).toPublicJWKSet().toString());
                } else {
                    request.response().setStatusCode(404).end();
                }
            }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            issuer = "http://127.0.0.1:" + server.actualPort() + "/realm";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return Map.of("toolgate.identity.jwt.issuer", issuer,
                "toolgate.identity.jwt.audiences", AUDIENCE,
                "toolgate.identity.forward-header", "X-Toolgate-Subject",
                "toolgate.identity.forward-groups-header", "X-Toolgate-Groups");
    }

    /** A token of this issuer for {@code subject}, in groups {@code agents}, valid five minutes. */
    public static String token(String subject) {
        return token(subject, AUDIENCE);
    }

    public static String token(String subject, String audience) {
        return token(subject, audience, List.of("agents"));
    }

    /** A token of this issuer for {@code subject} in {@code groups}, valid five minutes. */
    public static String token(String subject, String audience, List<String> groups) {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(audience)
                .claim("groups", groups).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).build();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close();
        }
    }
}
