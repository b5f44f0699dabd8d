package dev.toolgate.operator.mcppolicy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A Kubernetes service-account token the sidecar verifies against the cluster's issuer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class ServiceAccountIdentity extends SpecObject {

    @Required
    @Size(max = 16)
    @JsonPropertyDescription("Accepted token audiences (the audience callers request with a projected token); at least one. A token for the API server's own audience should not be among them.")
    private List<String> audiences;

    @Size(max = 2048)
    @JsonPropertyDescription("The cluster's service-account issuer (https URL, no query or fragment); default: discovered from the API server.")
    private String issuer;

    @Size(max = 2048)
    @JsonPropertyDescription("https URL of the cluster's JWKS; default: the API server's /openid/v1/jwks, read with the pod's service-account token.")
    private String jwksUrl;

    public List<String> getAudiences() {
        return audiences;
    }

    public void setAudiences(List<String> audiences) {
        this.audiences = audiences;
    }

    public String getIssuer() {
        return issuer;
    }

    public void setIssuer(String issuer) {
        this.issuer = issuer;
    }

    public String getJwksUrl() {
        return jwksUrl;
    }

    public void setJwksUrl(String jwksUrl) {
        this.jwksUrl = jwksUrl;
    }
}
