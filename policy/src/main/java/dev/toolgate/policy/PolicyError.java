package dev.toolgate.policy;

/**
 * One problem found in a policy document.
 *
 * @param path    JSON path of the offending field in policy-document spelling, e.g. {@code tools["update_amount"].deny_if[0].conditions[1].op}
 * @param message what is wrong and what was expected, e.g. {@code unknown operator "gtt"}
 */
public record PolicyError(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
