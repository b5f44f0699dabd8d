package dev.toolgate.sidecar.caller;

import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.SignedJWT;
import dev.toolgate.policy.Caller;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The caller a verified bearer JWT names (RFC 6750 §2.1: exactly one {@code Authorization: Bearer} header), checked
 * against the issuer its {@code iss} names among the trusted ones (an OIDC issuer, the cluster's service-account
 * issuer, or both). Anything else is {@link Resolution.Unauthenticated}: no token, a token in the query string, two
 * {@code Authorization} headers, an oversized or malformed token, an untrusted issuer or algorithm, a bad signature,
 * wrong audience, expired. Keys are looked up without blocking; a stage that waited for a fetch completes on the
 * request's own context.
 */
public final class BearerCallerResolver implements CallerResolver {

    private static final Pattern TOKEN68 = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");

    private final Map<String, TrustedIssuer> issuers = new LinkedHashMap<>();
    private final int maxTokenBytes;
    private final Set<String> consumed;
    private final Clock clock;
    private final VerifiedTokens verified = new VerifiedTokens(VERIFIED_TOKENS);
    /** Distinct tokens remembered as verified (each holds its string, a few KiB at most). */
    static final int VERIFIED_TOKENS = 4096;

    /**
     * @param otherConsumed further headers to drop from forwarded requests (an identity header that must not reach the
     *                      server as if it were verified), beside {@code Authorization} unless {@code forwardAuthorization}
     */
    public BearerCallerResolver(List<TrustedIssuer> trusted, int maxTokenBytes, boolean forwardAuthorization, Set<String> otherConsumed, Clock clock) {
        for (TrustedIssuer issuer : trusted) {
            if (issuers.putIfAbsent(issuer.issuer(), issuer) != null) {
                throw new IllegalArgumentException("issuer " + issuer.issuer() + " is configured twice (JWT and service account)");
            }
        }
        if (issuers.isEmpty()) {
            throw new IllegalArgumentException("no trusted issuer");
        }
        if (maxTokenBytes < 256) {
            throw new IllegalArgumentException("toolgate.identity.max-token-bytes must be at least 256, was " + maxTokenBytes);
        }
        this.maxTokenBytes = maxTokenBytes;
        Set<String> headers = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        headers.addAll(otherConsumed);
        if (!forwardAuthorization) {
            headers.add("Authorization");
        }
        this.consumed = java.util.Collections.unmodifiableSet(headers);
        this.clock = clock;
    }

    public List<TrustedIssuer> issuers() {
        return List.copyOf(issuers.values());
    }

    @Override
    public Set<String> consumedHeaders() {
        return consumed;
    }

    @Override
    public CompletionStage<Resolution> resolve(HttpServerRequest request) {
        String inQuery = tokenInQuery(request.query());
        if (inQuery != null) {
            return done(new Resolution.Unauthenticated("invalid_request", "a token in the query string (" + inQuery + ") is not accepted: send it in the Authorization header"));
        }
        List<String> authorization = request.headers().getAll("Authorization");
        if (authorization.isEmpty()) {
            return done(new Resolution.Unauthenticated(null, "no bearer token"));
        }
        if (authorization.size() > 1) {
            return done(new Resolution.Unauthenticated("invalid_request", "more than one Authorization header"));
        }
        String value = authorization.get(0);
        if (value.length() > maxTokenBytes + 7) {
            return done(new Resolution.Unauthenticated("invalid_request", "Authorization header longer than " + maxTokenBytes + " bytes"));
        }
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return done(new Resolution.Unauthenticated("invalid_request", "the Authorization scheme is not Bearer"));
        }
        String token = value.substring(space + 1).strip();
        // A remembered token passed every check below once, as this exact string.
        Caller known = verified.get(token, clock.instant());
        if (known != null) {
            return done(new Resolution.Identified(known));
        }
        if (!TOKEN68.matcher(token).matches()) {
            return done(new Resolution.Unauthenticated("invalid_request", "the bearer token is not token68 characters"));
        }
        SignedJWT jwt;
        String issuerName;
        try {
            jwt = parse(token);
            issuerName = TrustedIssuer.claimString(jwt.getJWTClaimsSet(), "iss");
        } catch (TrustedIssuer.Refused refused) {
            return done(invalid(refused.getMessage()));
        } catch (ParseException e) {
            return done(invalid("the token's claims are not a JSON object"));
        }
        TrustedIssuer issuer = issuerName == null ? null : issuers.get(issuerName);
        if (issuer == null) {
            return done(invalid(issuerName == null ? "the token names no issuer" : "issuer \"" + printable(issuerName) + "\" is not trusted"));
        }
        try {
            issuer.checkAlgorithm(jwt.getHeader());
        } catch (TrustedIssuer.Refused refused) {
            return done(invalid(refused.getMessage()));
        }
        Context context = Vertx.currentContext();
        CompletionStage<com.nimbusds.jose.jwk.JWKSet> keys = issuer.keys().forKeyId(jwt.getHeader().getKeyID());
        CompletableFuture<Resolution> answer = new CompletableFuture<>();
        keys.whenComplete((keySet, failure) -> {
            Resolution resolution;
            if (failure != null) {
                resolution = invalid("the signing keys of issuer " + issuer.issuer() + " are not available");
            } else {
                try {
                    TrustedIssuer.Verified passed = issuer.check(jwt, keySet, clock.instant());
                    verified.put(token, passed.caller(), passed.expires(), issuer.clockSkew(), issuer, jwt.getHeader().getKeyID());
                    resolution = new Resolution.Identified(passed.caller());
                } catch (TrustedIssuer.Refused refused) {
                    resolution = invalid(refused.getMessage());
                }
            }
            if (context == null || Vertx.currentContext() == context) {
                answer.complete(resolution);
            } else {
                Resolution settled = resolution;
                context.runOnContext(v -> answer.complete(settled));
            }
        });
        return answer;
    }

    /** A compact JWS with three parts whose header parses; {@code alg: none} and JWE are named as such. */
    private static SignedJWT parse(String token) throws TrustedIssuer.Refused {
        String[] parts = token.split("\\.", -1);
        if (parts.length == 5) {
            throw new TrustedIssuer.Refused("the token is encrypted (JWE); only signed tokens are accepted");
        }
        if (parts.length != 3) {
            throw new TrustedIssuer.Refused("the token is not a compact JWS (three dot-separated parts)");
        }
        String alg = null;
        try {
            Object value = com.nimbusds.jose.util.JSONObjectUtils.parse(new Base64URL(parts[0]).decodeToString()).get("alg");
            alg = value instanceof String s ? s : null;
        } catch (ParseException | RuntimeException e) {
            throw new TrustedIssuer.Refused("the token's header is not base64url-encoded JSON");
        }
        if (alg == null || alg.equalsIgnoreCase("none")) {
            throw new TrustedIssuer.Refused("unsigned tokens (alg none) are never accepted");
        }
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            JWSHeader header = jwt.getHeader();
            if (header.getAlgorithm() == null) {
                throw new TrustedIssuer.Refused("the token names no algorithm");
            }
            return jwt;
        } catch (ParseException e) {
            throw new TrustedIssuer.Refused("the token does not parse as a signed JWT: " + e.getMessage());
        }
    }

    /** RFC 6750 §2.3's {@code access_token} query parameter, under any spelling a server might decode to it. */
    private static String tokenInQuery(String query) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        for (String pair : query.split("[&;]")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            try {
                name = URLDecoder.decode(name, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // keep the raw name
            }
            if (name.strip().equalsIgnoreCase("access_token")) {
                return "access_token";
            }
        }
        return null;
    }

    private static Resolution invalid(String description) {
        return new Resolution.Unauthenticated("invalid_token", description);
    }

    private static String printable(String text) {
        String cut = text.length() > 100 ? text.substring(0, 100) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static CompletionStage<Resolution> done(Resolution resolution) {
        return CompletableFuture.completedFuture(resolution);
    }

    /** For the readiness check: each issuer's problem, if it has no keys. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (TrustedIssuer issuer : issuers.values()) {
            String problem = issuer.keys().problem();
            if (problem != null) {
                problems.add(problem);
            }
        }
        return problems;
    }
}
