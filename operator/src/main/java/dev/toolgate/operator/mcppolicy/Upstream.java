package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** The MCP server inside the pod. */
@PreserveUnknownFields
public class Upstream extends SpecObject {

    @Required
    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("Container port the MCP server listens on. The sidecar forwards to it on 127.0.0.1 and takes over its port name.")
    private Integer port;

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }
}
