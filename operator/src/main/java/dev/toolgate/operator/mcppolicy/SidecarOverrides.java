package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** Per-policy overrides for the injected sidecar container. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class SidecarOverrides extends SpecObject {

    @JsonPropertyDescription("Sidecar image; defaults to the operator's configured image.")
    private String image;

    @Pattern("^(TRACE|DEBUG|INFO|WARN|ERROR)$")
    @JsonPropertyDescription("Sidecar log level: TRACE, DEBUG, INFO, WARN or ERROR.")
    private String logLevel;

    @Pattern("^(throughput|small)$")
    @JsonPropertyDescription("Sidecar JVM profile: throughput (C1 and C2 compilers, the default) or small (C1 only: faster start and less memory, more CPU per call; for servers that see few calls).")
    private String jvmProfile;

    @JsonPropertyDescription("Sidecar CPU and memory requests and limits; replaces the operator's defaults.")
    private ResourceRequirements resources;

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public String getLogLevel() {
        return logLevel;
    }

    public void setLogLevel(String logLevel) {
        this.logLevel = logLevel;
    }

    public String getJvmProfile() {
        return jvmProfile;
    }

    public void setJvmProfile(String jvmProfile) {
        this.jvmProfile = jvmProfile;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }
}
