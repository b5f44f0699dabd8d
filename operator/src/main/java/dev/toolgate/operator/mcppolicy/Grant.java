package dev.toolgate.operator.mcppolicy;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * Rights for some callers: grants are tried in order, and the first one that matches the caller and has an entry for the
 * tool decides the call with that entry; when none does, the top-level tools and default decide.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class Grant extends SpecObject {

    @Required
    @Pattern("^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")
    @JsonPropertyDescription("Unique name of the grant, shown in decisions, audit lines and metrics; grant-scoped limits count per grant and caller.")
    private String name;

    @Required
    @JsonPropertyDescription("Who the grant is for: any subject pattern or any group matches. Never matches anonymous callers.")
    private GrantCallers callers;

    @Required
    @Size(max = 256)
    @JsonPropertyDescription("Rules per tool for the grant's callers, keyed by exact tool name or glob, with the same entry syntax and selection as the top-level tools.")
    private Map<String, ToolRule> tools = new LinkedHashMap<>();

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public GrantCallers getCallers() {
        return callers;
    }

    public void setCallers(GrantCallers callers) {
        this.callers = callers;
    }

    public Map<String, ToolRule> getTools() {
        return tools;
    }

    public void setTools(Map<String, ToolRule> tools) {
        this.tools = tools;
    }
}
