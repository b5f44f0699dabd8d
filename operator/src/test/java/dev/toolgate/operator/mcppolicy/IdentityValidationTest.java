package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** What the schema cannot say about spec.identity: each problem names its field and what was expected. */
class IdentityValidationTest {

    private static JwtIdentity jwt(String issuer, String... audiences) {
        JwtIdentity jwt = new JwtIdentity();
        jwt.setIssuer(issuer);
        jwt.setAudiences(List.of(audiences));
        return jwt;
    }

    private static ServiceAccountIdentity serviceAccount(String... audiences) {
        ServiceAccountIdentity sa = new ServiceAccountIdentity();
        sa.setAudiences(List.of(audiences));
        return sa;
    }

    @Test
    void validConfigurationsAndTheirModes() {
        assertThat(IdentityValidation.errors(null)).isEmpty();
        assertThat(IdentityValidation.mode(null)).isEqualTo("none");
        Identity header = new Identity();
        header.setHeader("X-Agent-Id");
        assertThat(IdentityValidation.errors(header)).isEmpty();
        assertThat(IdentityValidation.mode(header)).isEqualTo("header");
        Identity both = new Identity();
        both.setJwt(jwt("https://login.example.com/realms/a", "mcp"));
        both.setServiceAccount(serviceAccount("toolgate"));
        both.setForwardHeader("X-Toolgate-Subject");
        both.setForwardAuthorization(true);
        assertThat(IdentityValidation.errors(both)).isEmpty();
        assertThat(IdentityValidation.mode(both)).isEqualTo("jwt+serviceAccount");
    }

    @Test
    void aTrustedHeaderBesideAVerifiedSourceIsRefused() {
        Identity identity = new Identity();
        identity.setHeader("X-Agent-Id");
        identity.setServiceAccount(serviceAccount("toolgate"));
        assertThat(IdentityValidation.errors(identity)).containsExactly("spec.identity.header: a trusted header cannot be combined"
                + " with jwt or serviceAccount: with a verified source the sidecar ignores and removes client-sent identity headers;"
                + " remove header (forwardHeader passes the verified subject to the MCP server)");
    }

    @Test
    void issuerAndJwksUrlsMustBeHttpsWithoutFragmentAndIssuersWithoutQuery() {
        for (String[] bad : new String[][] {
                {"http://login.example.com", "the scheme must be https"},
                {"https://login.example.com/?realm=a", "a query is not allowed"},
                {"https://login.example.com/#x", "a fragment is not allowed"},
                {"https://user@login.example.com", "user info is not allowed"},
                {"https:///path", "no host"},
                {"login.example.com", "the scheme must be https"}}) {
            Identity identity = new Identity();
            identity.setJwt(jwt(bad[0], "mcp"));
            assertThat(IdentityValidation.errors(identity)).containsExactly("spec.identity.jwt.issuer: expected an https URL without"
                    + " query or fragment, got \"" + bad[0] + "\" (" + bad[1] + ")");
        }
        Identity identity = new Identity();
        identity.setJwt(jwt("https://login.example.com", "mcp"));
        identity.getJwt().setJwksUrl("https://login.example.com/keys?v=2#k");
        identity.setServiceAccount(serviceAccount("toolgate"));
        identity.getServiceAccount().setIssuer("https://kubernetes.default.svc?x");
        identity.getServiceAccount().setJwksUrl("https://kubernetes.default.svc/openid/v1/jwks?x=1");
        assertThat(IdentityValidation.errors(identity)).containsExactly(
                "spec.identity.jwt.jwksUrl: expected an https URL without fragment, got \"https://login.example.com/keys?v=2#k\""
                        + " (a fragment is not allowed)",
                "spec.identity.serviceAccount.issuer: expected an https URL without query or fragment, got"
                        + " \"https://kubernetes.default.svc?x\" (a query is not allowed)");
        identity.getJwt().setJwksUrl("https://bad host/");
        assertThat(IdentityValidation.errors(identity)).first().asString().startsWith("spec.identity.jwt.jwksUrl: expected an https"
                + " URL without fragment, got \"https://bad host/\" (");
    }

    @Test
    void audiencesMustNameAtLeastOneNonEmptyAudienceOnce() {
        Identity identity = new Identity();
        identity.setJwt(jwt("https://login.example.com"));
        identity.setServiceAccount(serviceAccount("toolgate", " ", "toolgate"));
        assertThat(IdentityValidation.errors(identity)).containsExactly(
                "spec.identity.jwt.audiences: expected at least one audience; a token is accepted only when its aud names one of them",
                "spec.identity.serviceAccount.audiences[1]: expected a non-empty audience without surrounding whitespace, got \" \"",
                "spec.identity.serviceAccount.audiences[2]: duplicate audience \"toolgate\"");
        identity.getJwt().setAudiences(null);
        assertThat(IdentityValidation.errors(identity)).first().asString().startsWith("spec.identity.jwt.audiences: expected at least one");
    }

    @Test
    void clockSkewAlgorithmsAndSharedIssuers() {
        Identity identity = new Identity();
        identity.setJwt(jwt("https://kubernetes.default.svc", "mcp"));
        identity.getJwt().setClockSkew("301s");
        identity.getJwt().setAlgorithms(List.of());
        ServiceAccountIdentity sa = serviceAccount("toolgate");
        sa.setIssuer("https://kubernetes.default.svc");
        identity.setServiceAccount(sa);
        assertThat(IdentityValidation.errors(identity)).containsExactly(
                "spec.identity.jwt.clockSkew: expected whole seconds from 0s to 300s, got \"301s\"",
                "spec.identity.jwt.algorithms: expected at least one algorithm, or omit it for RS256",
                "spec.identity.serviceAccount.issuer: the same issuer as spec.identity.jwt.issuer; a token must be either a"
                        + " service-account token or a JWT of another issuer, never both");
        identity.getJwt().setClockSkew("300s");
        assertThat(IdentityValidation.errors(identity)).noneMatch(e -> e.contains("clockSkew"));
    }

    @Test
    void forwardingNeedsAVerifiedSourceAndAHeaderOfItsOwn() {
        Identity header = new Identity();
        header.setHeader("X-Agent-Id");
        header.setForwardHeader("X-Toolgate-Subject");
        header.setForwardAuthorization(true);
        assertThat(IdentityValidation.errors(header)).containsExactly(
                "spec.identity.forwardHeader: needs jwt or serviceAccount: it carries the verified subject",
                "spec.identity.forwardAuthorization: needs jwt or serviceAccount: it says what happens to the verified token");
        Identity jwt = new Identity();
        jwt.setJwt(jwt("https://login.example.com", "mcp"));
        jwt.setForwardHeader("authorization");
        assertThat(IdentityValidation.errors(jwt)).containsExactly("spec.identity.forwardHeader: \"authorization\" is a header the"
                + " request itself needs; expected a header of its own such as X-Toolgate-Subject");
        assertThat(IdentityValidation.errors(new Identity()))
                .containsExactly("spec.identity: expected header, jwt or serviceAccount (omit identity for anonymous callers)");
    }
}
