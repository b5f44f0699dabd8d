package dev.toolgate.operator.mcppolicy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the API server's schema cannot say about {@code spec.identity}, checked at reconcile: each problem is a
 * {@code spec.identity...: message} line for the Accepted condition. Pure. A policy with a problem here is rejected as a
 * whole (nothing rendered) and the webhook refuses pods it selects, so the sidecar never starts with an identity
 * configuration nobody accepted.
 */
public final class IdentityValidation {

    /** Headers the sidecar or the protocol own: a verified subject written there would break or impersonate the request. */
    private static final Set<String> RESERVED_FORWARD_HEADERS = Set.of("authorization", "host", "content-length", "content-type",
            "transfer-encoding", "connection", "cookie", "mcp-session-id", "mcp-protocol-version", "last-event-id");
    static final int MAX_CLOCK_SKEW_SECONDS = 300;

    private IdentityValidation() {
    }

    /** The identity mode for status and {@code kubectl get}: none, header, jwt, serviceAccount or jwt+serviceAccount. */
    public static String mode(Identity identity) {
        if (identity == null) {
            return "none";
        }
        List<String> modes = new ArrayList<>();
        if (identity.getHeader() != null) {
            modes.add("header");
        }
        if (identity.getJwt() != null) {
            modes.add("jwt");
        }
        if (identity.getServiceAccount() != null) {
            modes.add("serviceAccount");
        }
        return modes.isEmpty() ? "none" : String.join("+", modes);
    }

    public static List<String> errors(Identity identity) {
        List<String> errors = new ArrayList<>();
        if (identity == null) {
            return errors;
        }
        boolean verified = identity.getJwt() != null || identity.getServiceAccount() != null;
        if (identity.getHeader() != null && verified) {
            errors.add("spec.identity.header: a trusted header cannot be combined with jwt or serviceAccount: with a verified"
                    + " source the sidecar ignores and removes client-sent identity headers; remove header (forwardHeader passes"
                    + " the verified subject to the MCP server)");
        }
        if (identity.getHeader() == null && !verified) {
            errors.add("spec.identity: expected header, jwt or serviceAccount (omit identity for anonymous callers)");
        }
        if (identity.getForwardHeader() != null) {
            if (!verified) {
                errors.add("spec.identity.forwardHeader: needs jwt or serviceAccount: it carries the verified subject");
            } else if (RESERVED_FORWARD_HEADERS.contains(identity.getForwardHeader().toLowerCase(Locale.ROOT))) {
                errors.add("spec.identity.forwardHeader: " + quote(identity.getForwardHeader())
                        + " is a header the request itself needs; expected a header of its own such as X-Toolgate-Subject");
            }
        }
        if (identity.getForwardAuthorization() != null && !verified) {
            errors.add("spec.identity.forwardAuthorization: needs jwt or serviceAccount: it says what happens to the verified token");
        }
        JwtIdentity jwt = identity.getJwt();
        if (jwt != null) {
            url(errors, "spec.identity.jwt.issuer", jwt.getIssuer(), true);
            audiences(errors, "spec.identity.jwt.audiences", jwt.getAudiences());
            url(errors, "spec.identity.jwt.jwksUrl", jwt.getJwksUrl(), false);
            if (jwt.getClockSkew() != null) {
                String digits = jwt.getClockSkew().endsWith("s") ? jwt.getClockSkew().substring(0, jwt.getClockSkew().length() - 1) : "";
                if (!digits.matches("[0-9]{1,3}") || Integer.parseInt(digits) > MAX_CLOCK_SKEW_SECONDS) {
                    errors.add("spec.identity.jwt.clockSkew: expected whole seconds from 0s to " + MAX_CLOCK_SKEW_SECONDS + "s, got "
                            + quote(jwt.getClockSkew()));
                }
            }
            if (jwt.getAlgorithms() != null && jwt.getAlgorithms().isEmpty()) {
                errors.add("spec.identity.jwt.algorithms: expected at least one algorithm, or omit it for RS256");
            }
        }
        ServiceAccountIdentity serviceAccount = identity.getServiceAccount();
        if (serviceAccount != null) {
            audiences(errors, "spec.identity.serviceAccount.audiences", serviceAccount.getAudiences());
            url(errors, "spec.identity.serviceAccount.issuer", serviceAccount.getIssuer(), true);
            url(errors, "spec.identity.serviceAccount.jwksUrl", serviceAccount.getJwksUrl(), false);
            if (jwt != null && jwt.getIssuer() != null && jwt.getIssuer().equals(serviceAccount.getIssuer())) {
                errors.add("spec.identity.serviceAccount.issuer: the same issuer as spec.identity.jwt.issuer; a token must be"
                        + " either a service-account token or a JWT of another issuer, never both");
            }
        }
        return errors;
    }

    private static void audiences(List<String> errors, String path, List<String> audiences) {
        if (audiences == null || audiences.isEmpty()) {
            errors.add(path + ": expected at least one audience; a token is accepted only when its aud names one of them");
            return;
        }
        for (int i = 0; i < audiences.size(); i++) {
            String audience = audiences.get(i);
            if (audience == null || audience.isBlank() || !audience.equals(audience.strip())) {
                errors.add(path + "[" + i + "]: expected a non-empty audience without surrounding whitespace, got "
                        + (audience == null ? "null" : quote(audience)));
            } else if (audiences.indexOf(audience) != i) {
                errors.add(path + "[" + i + "]: duplicate audience " + quote(audience));
            }
        }
    }

    /**
     * An https URL with a host and no user info or fragment; an issuer has no query either (it is compared with the token's
     * iss claim as written, and discovery appends /.well-known/openid-configuration to it).
     */
    private static void url(List<String> errors, String path, String value, boolean issuer) {
        if (value == null) {
            return;
        }
        String expected = issuer ? "expected an https URL without query or fragment" : "expected an https URL without fragment";
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            errors.add(path + ": " + expected + ", got " + quote(value) + " (" + e.getReason() + ")");
            return;
        }
        String problem = null;
        if (!"https".equals(uri.getScheme())) {
            problem = "the scheme must be https";
        } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
            problem = "no host";
        } else if (uri.getRawUserInfo() != null) {
            problem = "user info is not allowed";
        } else if (uri.getRawFragment() != null) {
            problem = "a fragment is not allowed";
        } else if (issuer && uri.getRawQuery() != null) {
            problem = "a query is not allowed";
        }
        if (problem != null) {
            errors.add(path + ": " + expected + ", got " + quote(value) + " (" + problem + ")");
        }
    }

    private static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
