package dev.toolgate.policy;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.util.regex.Pattern;

/** Builds JSON paths in policy-document spelling: {@code tools["update_amount"].deny_if[0].conditions[1].op}. */
final class PolicyPaths {

    static final String ROOT = "$";
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private PolicyPaths() {
    }

    /** A member of an object: {@code parent.name}, or {@code parent["odd name"]} when the name is not a plain identifier. */
    static String field(String parent, String name) {
        boolean root = parent.isEmpty() || ROOT.equals(parent);
        if (IDENTIFIER.matcher(name).matches()) {
            return root ? name : parent + "." + name;
        }
        return (root ? "" : parent) + "[" + quote(name) + "]";
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** The path of a tools entry; tool names are always bracketed so globs and spaces read unambiguously. */
    static String tool(String name) {
        return "tools[" + quote(name) + "]";
    }

    /** The path of a tools entry under {@code parent} (a grant, {@code grants[0]}); the root's when {@code parent} is empty. */
    static String tool(String parent, String name) {
        return parent.isEmpty() || ROOT.equals(parent) ? tool(name) : parent + "." + tool(name);
    }

    /** A JSON string literal for {@code s}, with JSON escaping. */
    static String quote(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }
}
