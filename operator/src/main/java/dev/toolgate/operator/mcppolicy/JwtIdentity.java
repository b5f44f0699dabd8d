package dev.toolgate.operator.mcppolicy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A bearer JWT the sidecar verifies. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class JwtIdentity extends SpecObject {

    /** Asymmetric signature algorithms only: {@code none} and shared-secret HMAC are not offered. */
    public enum Algorithm {
        RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, @JsonProperty("EdDSA") EDDSA
    }

    static final String CLAIM_NAME = "^[A-Za-z0-9_.:/-]{1,128}$";

    @Required
    @Size(max = 2048)
    @JsonPropertyDescription("Expected iss claim: an https URL without query or fragment. Without jwksUrl, keys come from its OIDC discovery document.")
    private String issuer;

    @Required
    @Size(max = 16)
    @JsonPropertyDescription("Accepted aud values; a token must name at least one. At least one is required.")
    private List<String> audiences;

    @Size(max = 2048)
    @JsonPropertyDescription("https URL of the issuer's JSON Web Key Set; default: from the issuer's OIDC discovery.")
    private String jwksUrl;

    @Pattern(CLAIM_NAME)
    @JsonPropertyDescription("Claim holding the caller's subject; default sub.")
    private String subjectClaim;

    @Pattern(CLAIM_NAME)
    @JsonPropertyDescription("Claim holding the caller's groups (an array of strings); default groups.")
    private String groupsClaim;

    @Size(max = 10)
    @JsonPropertyDescription("Accepted signature algorithms; default RS256. 'none' and HMAC are never accepted.")
    private List<Algorithm> algorithms;

    @Pattern("^[0-9]{1,3}s$")
    @JsonPropertyDescription("Tolerated clock difference for exp and nbf, in seconds with an s suffix (e.g. 30s), at most 300s; default 30s.")
    private String clockSkew;

    @Pattern("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
    @JsonPropertyDescription("ConfigMap in this namespace whose ca.crt the sidecar trusts for the issuer's and JWKS URL's TLS; default: the image's trust store.")
    private String caConfigMap;

    public String getIssuer() {
        return issuer;
    }

    public void setIssuer(String issuer) {
        this.issuer = issuer;
    }

    public List<String> getAudiences() {
        return audiences;
    }

    public void setAudiences(List<String> audiences) {
        this.audiences = audiences;
    }

    public String getJwksUrl() {
        return jwksUrl;
    }

    public void setJwksUrl(String jwksUrl) {
        this.jwksUrl = jwksUrl;
    }

    public String getSubjectClaim() {
        return subjectClaim;
    }

    public void setSubjectClaim(String subjectClaim) {
        this.subjectClaim = subjectClaim;
    }

    public String getGroupsClaim() {
        return groupsClaim;
    }

    public void setGroupsClaim(String groupsClaim) {
        this.groupsClaim = groupsClaim;
    }

    public List<Algorithm> getAlgorithms() {
        return algorithms;
    }

    public void setAlgorithms(List<Algorithm> algorithms) {
        this.algorithms = algorithms;
    }

    public String getClockSkew() {
        return clockSkew;
    }

    public void setClockSkew(String clockSkew) {
        this.clockSkew = clockSkew;
    }

    public String getCaConfigMap() {
        return caConfigMap;
    }

    public void setCaConfigMap(String caConfigMap) {
        this.caConfigMap = caConfigMap;
    }
}
