package dev.toolgate.sidecar.caller;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.toolgate.policy.Caller;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a token of one issuer must satisfy, and who it names. Pure: given the issuer's key set and the time, a signed
 * JWT either passes (as a {@link Caller}) or fails with a reason that names what is wrong and no secret.
 * <p>
 * Only asymmetric algorithms exist here, each verified only with a key of its own type from the issuer's JWKS: the
 * token's own {@code jwk}, {@code jku}, {@code x5u} and {@code x5c} headers are never used, so no token brings its key.
 */
public final class TrustedIssuer {

    /** How the verified claims become a caller. */
    public interface Identity {
        Caller caller(JWTClaimsSet claims) throws Refused;
    }

    /** A token that does not pass; the message is for the {@code error_description} and the audit line. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }

    static final Set<JWSAlgorithm> SUPPORTED = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    private final String issuer;
    private final List<String> audiences;
    private final Set<JWSAlgorithm> algorithms;
    private final Duration clockSkew;
    private final SigningKeys keys;
    private final Identity identity;
    private final Caller.Source source;

    public TrustedIssuer(String issuer, List<String> audiences, List<String> algorithms, Duration clockSkew, SigningKeys keys,
            Caller.Source source, Identity identity) {
        if (issuer == null || issuer.isBlank()) {
            throw new IllegalArgumentException("the issuer is required");
        }
        checkUrl("issuer", issuer);
        if (audiences == null || audiences.isEmpty() || audiences.stream().anyMatch(a -> a == null || a.isBlank())) {
            throw new IllegalArgumentException("issuer " + issuer + " needs at least one audience, and none may be empty: a token minted for any service would pass otherwise");
        }
        Set<JWSAlgorithm> accepted = new LinkedHashSet<>();
        for (String name : algorithms) {
            JWSAlgorithm algorithm = JWSAlgorithm.parse(name.trim());
            if (!SUPPORTED.contains(algorithm)) {
                throw new IllegalArgumentException("algorithm \"" + name + "\" for issuer " + issuer + " is not accepted: only "
                        + SUPPORTED.stream().map(JWSAlgorithm::getName).sorted().toList() + " (never none, never HMAC)");
            }
            accepted.add(algorithm);
        }
        if (accepted.isEmpty()) {
            throw new IllegalArgumentException("issuer " + issuer + " accepts no algorithm");
        }
        if (clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("clock skew " + clockSkew + " for issuer " + issuer + " must be between 0 and 5 minutes");
        }
        this.issuer = issuer;
        this.audiences = List.copyOf(audiences);
        this.algorithms = Set.copyOf(accepted);
        this.clockSkew = clockSkew;
        this.keys = keys;
        this.source = source;
        this.identity = identity;
    }

    public String issuer() {
        return issuer;
    }

    /** A URL setting must be absolute http(s) with a host and no query or fragment: anything else is reported at startup. */
    static java.net.URI checkUrl(String setting, String url) {
        java.net.URI uri;
        try {
            uri = java.net.URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + " \"" + url + "\" is not a URL: " + e.getMessage());
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(setting + " \"" + url + "\" must be an absolute http(s) URL with a host and no query or fragment");
        }
        return uri;
    }

    public SigningKeys keys() {
        return keys;
    }

    public Caller.Source source() {
        return source;
    }

    /** Checks what needs no key: the algorithm is on the allow-list. */
    void checkAlgorithm(JWSHeader header) throws Refused {
        if (!algorithms.contains(header.getAlgorithm())) {
            throw new Refused("algorithm " + header.getAlgorithm() + " is not accepted for issuer " + issuer);
        }
    }

    /** A token that passed: who it names, and until when. */
    public record Verified(Caller caller, Instant expires) {
    }

    public Duration clockSkew() {
        return clockSkew;
    }

    /** The caller a token names, if its signature verifies with one of {@code keySet}'s keys and its claims pass at {@code now}. */
    public Caller verify(SignedJWT token, JWKSet keySet, Instant now) throws Refused {
        return check(token, keySet, now).caller();
    }

    /** As {@link #verify}, with the token's expiry. */
    public Verified check(SignedJWT token, JWKSet keySet, Instant now) throws Refused {
        JWSHeader header = token.getHeader();
        checkAlgorithm(header);
        if (!verifiedByOneOf(token, candidates(header, keySet))) {
            throw new Refused(header.getKeyID() == null ? "signature does not verify with any key of issuer " + issuer
                    : "signature does not verify (key id \"" + header.getKeyID() + "\" of issuer " + issuer + " unknown or not matching)");
        }
        JWTClaimsSet claims;
        try {
            claims = token.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new Refused("claims do not parse: " + e.getMessage());
        }
        if (!issuer.equals(claimString(claims, "iss"))) {
            throw new Refused("issuer is not " + issuer);
        }
        List<String> tokenAudiences;
        try {
            tokenAudiences = claims.getStringListClaim("aud");
        } catch (ParseException e) {
            throw new Refused("aud is neither a string nor a list of strings");
        }
        if (tokenAudiences == null || tokenAudiences.stream().noneMatch(audiences::contains)) {
            throw new Refused("audience " + (tokenAudiences == null ? "missing" : tokenAudiences) + " holds none of " + audiences);
        }
        Date expires = dateClaim(claims, "exp");
        if (expires == null) {
            throw new Refused("exp is required");
        }
        if (!now.isBefore(expires.toInstant().plus(clockSkew))) {
            throw new Refused("token expired at " + expires.toInstant());
        }
        Date notBefore = dateClaim(claims, "nbf");
        if (notBefore != null && now.plus(clockSkew).isBefore(notBefore.toInstant())) {
            throw new Refused("token not valid before " + notBefore.toInstant());
        }
        Date issued = dateClaim(claims, "iat");
        if (issued != null && now.plus(clockSkew).isBefore(issued.toInstant())) {
            throw new Refused("token issued in the future (" + issued.toInstant() + ")");
        }
        return new Verified(identity.caller(claims), expires.toInstant());
    }

    /** Keys of the set that may verify this header: its key id (if it names one), a signing use, and the algorithm's key type. */
    private static List<JWK> candidates(JWSHeader header, JWKSet keySet) {
        List<JWK> matching = new ArrayList<>();
        boolean rsa = JWSAlgorithm.Family.RSA.contains(header.getAlgorithm());
        for (JWK key : keySet.getKeys()) {
            if (header.getKeyID() != null && !header.getKeyID().equals(key.getKeyID())) {
                continue;
            }
            if (key.getKeyUse() != null && key.getKeyUse() != KeyUse.SIGNATURE) {
                continue;
            }
            if (key.getAlgorithm() != null && !key.getAlgorithm().equals(header.getAlgorithm())) {
                continue;
            }
            if (rsa ? key instanceof RSAKey : key instanceof ECKey) {
                matching.add(key);
            }
        }
        return matching;
    }

    private static boolean verifiedByOneOf(SignedJWT token, List<JWK> keys) {
        for (JWK key : keys) {
            try {
                JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
                if (token.verify(verifier)) {
                    return true;
                }
            } catch (JOSEException e) {
                // A key that cannot verify this algorithm (e.g. another curve, a short RSA key): try the next.
            }
        }
        return false;
    }

    static String claimString(JWTClaimsSet claims, String name) throws Refused {
        Object value = claims.getClaim(name);
        if (value != null && !(value instanceof String)) {
            throw new Refused(name + " is not a string");
        }
        return (String) value;
    }

    private static Date dateClaim(JWTClaimsSet claims, String name) throws Refused {
        try {
            return claims.getDateClaim(name);
        } catch (ParseException e) {
            throw new Refused(name + " is not a number of seconds");
        }
    }

    /** An OIDC token's caller: {@code subjectClaim} names it (a non-empty string), {@code groupsClaim} (absent, a string or a list of strings) its groups. */
    public static Identity oidc(String subjectClaim, String groupsClaim) {
        return claims -> {
            String subject = claimString(claims, subjectClaim);
            if (subject == null || subject.isEmpty()) {
                throw new Refused("claim " + subjectClaim + " (the subject) is missing or empty");
            }
            Object groups = claims.getClaim(groupsClaim);
            Set<String> names = new LinkedHashSet<>();
            if (groups instanceof String single) {
                names.add(single);
            } else if (groups instanceof List<?> list) {
                for (Object group : list) {
                    if (!(group instanceof String name)) {
                        throw new Refused("claim " + groupsClaim + " (the groups) holds a non-string");
                    }
                    names.add(name);
                }
            } else if (groups != null) {
                throw new Refused("claim " + groupsClaim + " (the groups) is neither a string nor a list of strings");
            }
            return new Caller(subject, names, Caller.Source.JWT);
        };
    }

    private static final java.util.regex.Pattern SERVICE_ACCOUNT_SUBJECT =
            java.util.regex.Pattern.compile("system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-.a-z0-9]*[a-z0-9])?)");

    /**
     * A Kubernetes service-account token's caller: {@code sub} is {@code system:serviceaccount:<namespace>:<name>} and
     * must agree with the {@code kubernetes.io} claim; the groups are those the API server gives a service account.
     */
    public static Identity serviceAccount() {
        return claims -> {
            String subject = claimString(claims, "sub");
            java.util.regex.Matcher matcher = subject == null ? null : SERVICE_ACCOUNT_SUBJECT.matcher(subject);
            if (matcher == null || !matcher.matches()) {
                throw new Refused("sub is not system:serviceaccount:<namespace>:<name>");
            }
            String namespace = matcher.group(1);
            Object kubernetes = claims.getClaim("kubernetes.io");
            if (!(kubernetes instanceof java.util.Map<?, ?> map) || !namespace.equals(map.get("namespace"))
                    || !(map.get("serviceaccount") instanceof java.util.Map<?, ?> account) || !matcher.group(3).equals(account.get("name"))) {
                throw new Refused("the kubernetes.io claim does not name the service account in sub");
            }
            return new Caller(subject, Set.of("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"),
                    Caller.Source.SERVICE_ACCOUNT);
        };
    }
}
