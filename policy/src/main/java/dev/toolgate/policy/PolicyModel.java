package dev.toolgate.policy;

import java.util.List;

/** The validated content of a policy document, with conditions, patterns and schemas already compiled. Immutable. */
record PolicyModel(boolean defaultDeny, boolean hideDeniedTools, Enforcement enforcement, List<LimitSpec> limits,
                   List<ToolEntry> tools, List<Grant> grants) {

    /** {@code enforcement}: whether refusals are carried out ({@code enforce}) or only reported ({@code audit}). */
    enum Enforcement {
        ENFORCE("enforce"), AUDIT("audit");

        private final String spelling;

        Enforcement(String spelling) {
            this.spelling = spelling;
        }

        String spelling() {
            return spelling;
        }
    }

    enum Action {
        ALLOW("allow"), DENY("deny"), REQUIRE_APPROVAL("require_approval");

        private final String spelling;

        Action(String spelling) {
            this.spelling = spelling;
        }

        String spelling() {
            return spelling;
        }
    }

    /** A limit as written at {@code path} (for a {@code rate_limit} shorthand, the path of the shorthand). */
    record LimitSpec(String path, LimitDefinition definition) {
    }

    /** One {@code deny_if} item; an empty condition list always matches. */
    record DenyRule(String path, List<Condition> conditions, String onDeny) {
        boolean alwaysMatches() {
            return conditions.isEmpty();
        }
    }

    /**
     * One {@code tools} entry; {@code args} is null when absent; {@code limits} includes a {@code rate_limit} shorthand;
     * {@code enforcement} is null when the entry inherits the document's; {@code pin} is the {@link ToolDefinitionDigest}
     * the tool's announced definition must have, or null.
     */
    record ToolEntry(String name, String path, Action action, String reason, ArgsSchema args, List<DenyRule> denyIf,
                     List<LimitSpec> limits, ApprovalTerms approval, Enforcement enforcement, String pin) {
        boolean isGlob() {
            return ToolGlob.isGlob(name);
        }
    }

    /**
     * One {@code grants} item: who it matches ({@code subjects}, exact names or globs, and {@code groups}, exact) and its
     * own tool entries, whose paths are under {@code path}.
     */
    record Grant(String name, String path, List<String> subjects, List<String> groups, List<ToolEntry> tools) {
    }
}
