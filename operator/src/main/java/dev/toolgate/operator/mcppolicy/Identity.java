package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Pattern;

/**
 * Where the sidecar gets the caller that grants match and identity- and grant-scoped limits count by: a header it
 * trusts as sent, or a verified source (a JWT, a Kubernetes service-account token, or both). A header and a verified
 * source together are refused at reconcile (a verified source ignores and removes the header).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class Identity extends SpecObject {

    static final String HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$";

    @Pattern(HEADER_NAME)
    @JsonPropertyDescription("HTTP request header carrying the caller identity, e.g. X-Agent-Id, trusted as sent: whatever is in front of the pod must set it and strip clients'. Not together with jwt or serviceAccount.")
    private String header;

    @JsonPropertyDescription("Verify a bearer JWT (signature from the issuer's JWKS, iss, aud and exp required); the subject and groups come from its claims.")
    private JwtIdentity jwt;

    @JsonPropertyDescription("Verify a Kubernetes service-account token bound to one of the audiences, against the cluster's issuer; the subject is system:serviceaccount:<namespace>:<name>.")
    private ServiceAccountIdentity serviceAccount;

    @Pattern(HEADER_NAME)
    @JsonPropertyDescription("With a verified source: the request header in which the sidecar passes the verified subject to the MCP server (a client-sent value is replaced).")
    private String forwardHeader;

    @JsonPropertyDescription("With a verified source: pass the caller's Authorization header on to the MCP server (default false: it is removed).")
    private Boolean forwardAuthorization;

    public String getHeader() {
        return header;
    }

    public void setHeader(String header) {
        this.header = header;
    }

    public JwtIdentity getJwt() {
        return jwt;
    }

    public void setJwt(JwtIdentity jwt) {
        this.jwt = jwt;
    }

    public ServiceAccountIdentity getServiceAccount() {
        return serviceAccount;
    }

    public void setServiceAccount(ServiceAccountIdentity serviceAccount) {
        this.serviceAccount = serviceAccount;
    }

    public String getForwardHeader() {
        return forwardHeader;
    }

    public void setForwardHeader(String forwardHeader) {
        this.forwardHeader = forwardHeader;
    }

    public Boolean getForwardAuthorization() {
        return forwardAuthorization;
    }

    public void setForwardAuthorization(Boolean forwardAuthorization) {
        this.forwardAuthorization = forwardAuthorization;
    }
}
