package dev.toolgate.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy document that cannot be accepted. Carries every error found, not just the first. */
public final class PolicyException extends Exception {
    private final List<PolicyError> errors;

    public PolicyException(List<PolicyError> errors) {
        super(errors.stream().map(PolicyError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public List<PolicyError> errors() {
        return errors;
    }
}
