package dev.toolgate.operator.mcppolicy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Size;

/** The callers a grant matches: by subject (exact or glob) or by group (exact). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class GrantCallers extends SpecObject {

    @Size(max = 64)
    @JsonPropertyDescription("Caller subjects, exact or glob ('*' matches any run of characters), e.g. system:serviceaccount:shop:billing-bot or system:serviceaccount:ci:*. A pattern starting with system:serviceaccount: never matches a JWT caller.")
    private List<String> subjects;

    @Size(max = 64)
    @JsonPropertyDescription("Groups, matched exactly against the caller's groups claim.")
    private List<String> groups;

    public List<String> getSubjects() {
        return subjects;
    }

    public void setSubjects(List<String> subjects) {
        this.subjects = subjects;
    }

    public List<String> getGroups() {
        return groups;
    }

    public void setGroups(List<String> groups) {
        this.groups = groups;
    }
}
