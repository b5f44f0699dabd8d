package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.SecretKeySelector;

/** A Redis shared by every sidecar of one policy, and how the sidecars reach it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.passwordSecretRef) || has(self.passwordSecretRef.name) && has(self.passwordSecretRef.key)",
        message = "passwordSecretRef needs name and key")
@ValidationRule(value = "!has(self.caSecretRef) || has(self.caSecretRef.name) && has(self.caSecretRef.key)",
        message = "caSecretRef needs name and key")
@ValidationRule(value = "!has(self.caSecretRef) || self.url.startsWith('rediss://')",
        message = "caSecretRef needs a rediss:// url: the connection would not use TLS")
@PreserveUnknownFields
public class RedisCounters extends SpecObject {

    public enum FailMode {
        @JsonProperty("closed")
        CLOSED,
        @JsonProperty("local")
        LOCAL
    }

    /** What {@link #url} must match (the CRD's pattern, also checked on the operator's own default). */
    public static final String URL_PATTERN = "^rediss?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[0-9]{1,2})?$";
    public static final String TIMEOUT_PATTERN = "^[0-9]{1,5}(ms|s)$";

    @Required
    @Pattern(URL_PATTERN)
    @JsonPropertyDescription("redis://host:port[/db], or rediss://host:port for TLS; no credentials in it (see passwordSecretRef).")
    private String url;

    @JsonPropertyDescription("Key of a Secret in this namespace holding the password of Redis's default user; mounted into the sidecar as a file.")
    private SecretKeySelector passwordSecretRef;

    @JsonPropertyDescription("With rediss://: key of a Secret in this namespace holding the PEM CA certificate that signed the server's; the server's name is always verified. Without it the JVM's trust store is used.")
    private SecretKeySelector caSecretRef;

    @Pattern("^[!-z|~]{1,100}$")
    @JsonPropertyDescription("Name of this policy's counters in Redis, always under toolgate:<namespace>/ (so a policy never reaches another namespace's counters); defaults to the policy's name. Policies of one namespace with the same keyPrefix share their counts. Printable ASCII without spaces or braces.")
    private String keyPrefix;

    @Pattern(TIMEOUT_PATTERN)
    @JsonPropertyDescription("Bound on one counter round trip, connecting included, e.g. 100ms (the default) or 1s; past it the call meets failMode.")
    private String timeout;

    @JsonPropertyDescription("What a call with limits gets while Redis is down or slower than timeout: closed (the default) refuses it as rate_limited, saying the counters cannot be reached; local counts it in the sidecar's memory, so each replica enforces the limits on its own until Redis answers again.")
    private FailMode failMode;

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public SecretKeySelector getPasswordSecretRef() {
        return passwordSecretRef;
    }

    public void setPasswordSecretRef(SecretKeySelector passwordSecretRef) {
        this.passwordSecretRef = passwordSecretRef;
    }

    public SecretKeySelector getCaSecretRef() {
        return caSecretRef;
    }

    public void setCaSecretRef(SecretKeySelector caSecretRef) {
        this.caSecretRef = caSecretRef;
    }

    public String getKeyPrefix() {
        return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    public String getTimeout() {
        return timeout;
    }

    public void setTimeout(String timeout) {
        this.timeout = timeout;
    }

    public FailMode getFailMode() {
        return failMode;
    }

    public void setFailMode(FailMode failMode) {
        this.failMode = failMode;
    }
}
