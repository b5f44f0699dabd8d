package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Where the sidecar reads the caller identity that identity- and grant-scoped limits count by. */
public class Identity {

    @Required
    @Pattern("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")
    @JsonPropertyDescription("HTTP request header carrying the caller identity, e.g. X-Agent-Id.")
    private String header;

    public String getHeader() {
        return header;
    }

    public void setHeader(String header) {
        this.header = header;
    }
}
