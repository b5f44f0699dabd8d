package dev.toolgate.bench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.caller.SigningKeys;
import dev.toolgate.sidecar.caller.TrustedIssuer;
import dev.toolgate.sidecar.caller.VerifiedTokens;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The caller step per call: a bearer JWT parsed and verified with the issuer's cached key set (what
 * {@code BearerCallerResolver} does once the keys are in memory), beside the trusted header resolver's work (a header
 * lookup and a {@link Caller}). No HTTP: the same token string each call, as an agent reusing its token sends it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenVerifyBenchmark {

    private static final String ISSUER = "https://issuer.example";

    @State(Scope.Benchmark)
    public static class Tokens {
        TrustedIssuer issuer;
        JWKSet keys;
        String rs256;
        String es256;
        Map<String, String> headers;
        VerifiedTokens remembered;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
            ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec").generate();
            keys = new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK()));
            issuer = new TrustedIssuer(ISSUER, List.of("toolgate"), List.of("RS256", "ES256"), Duration.ofSeconds(30), null,
                    Caller.Source.JWT, TrustedIssuer.oidc("sub", "groups"));
            Instant now = Instant.now();
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject("agent-7").audience("toolgate")
                    .claim("groups", List.of("payments")).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(3600))).build();
            SignedJWT r = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa").build(), claims);
            r.sign(new RSASSASigner(rsa));
            rs256 = r.serialize();
            SignedJWT e = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec").build(), claims);
            e.sign(new ECDSASigner(ec));
            es256 = e.serialize();
            SigningKeys signingKeys = new SigningKeys(ISSUER, () -> io.vertx.core.Future.succeededFuture(keys.toString()), Duration.ofSeconds(30),
                    java.time.Clock.systemUTC(), outcome -> {
                    });
            signingKeys.refresh();
            TrustedIssuer withKeys = new TrustedIssuer(ISSUER, List.of("toolgate"), List.of("RS256", "ES256"), Duration.ofSeconds(30), signingKeys,
                    Caller.Source.JWT, TrustedIssuer.oidc("sub", "groups"));
            remembered = new VerifiedTokens(4096);
            TrustedIssuer.Verified passed = withKeys.check(SignedJWT.parse(rs256), keys, Instant.now());
            remembered.put(rs256, passed.caller(), passed.expires(), Duration.ofSeconds(30), withKeys, "rsa");
            headers = Map.of("x-agent-id", "agent-7", "content-type", "application/json", "authorization", "Bearer " + rs256);
        }
    }

    @Benchmark
    public Caller verifyRs256CachedKey(Tokens t) throws Exception {
        return t.issuer.verify(SignedJWT.parse(t.rs256), t.keys, Instant.now());
    }

    @Benchmark
    public Caller verifyEs256CachedKey(Tokens t) throws Exception {
        return t.issuer.verify(SignedJWT.parse(t.es256), t.keys, Instant.now());
    }

    /** What BearerCallerResolver does for a token it has verified before: a lookup, the expiry and the key checked. */
    @Benchmark
    public Caller rememberedToken(Tokens t) {
        return t.remembered.get(t.rs256, Instant.now());
    }

    @Benchmark
    public Caller headerIdentity(Tokens t) {
        return Caller.fromHeader(t.headers.get("x-agent-id"));
    }
}
