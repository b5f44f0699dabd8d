package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether a policy's (or a tool's) refusals are carried out, or only decided, counted and audited (shadow mode). */
public enum Enforcement {
    @JsonProperty("enforce")
    ENFORCE,
    @JsonProperty("audit")
    AUDIT
}
