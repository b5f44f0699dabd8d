package dev.toolgate.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The callers one grant matches: a caller matches when its subject equals or matches one of the subject patterns
 * ({@code *} matches any run of characters, including none), or when one of its groups is one of the grant's groups.
 * Two rules hold whatever the patterns say: a caller nobody identified ({@link Caller.Source#ANONYMOUS}) matches no
 * grant, and a pattern that begins with {@value #SERVICE_ACCOUNT_PREFIX} matches no {@link Caller.Source#JWT} caller (a
 * token from another issuer may carry any {@code sub}, including a service account's name). Immutable.
 */
final class GrantCallers {

    static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

    private final List<String> subjects;
    private final Set<String> exactSubjects = new HashSet<>();
    private final List<ToolGlob> subjectGlobs = new ArrayList<>();
    private final Set<String> groups;

    GrantCallers(List<String> subjects, List<String> groups) {
        this.subjects = List.copyOf(subjects);
        for (String subject : subjects) {
            if (ToolGlob.isGlob(subject)) {
                subjectGlobs.add(new ToolGlob(subject));
            } else {
                exactSubjects.add(subject);
            }
        }
        this.groups = Set.copyOf(groups);
    }

    boolean matches(Caller caller) {
        if (caller.source() == Caller.Source.ANONYMOUS) {
            return false;
        }
        String subject = caller.subject();
        boolean jwt = caller.source() == Caller.Source.JWT;
        if (exactSubjects.contains(subject) && !(jwt && subject.startsWith(SERVICE_ACCOUNT_PREFIX))) {
            return true;
        }
        for (ToolGlob glob : subjectGlobs) {
            if (glob.matches(subject) && !(jwt && glob.pattern().startsWith(SERVICE_ACCOUNT_PREFIX))) {
                return true;
            }
        }
        if (!groups.isEmpty()) {
            for (String group : caller.groups()) {
                if (groups.contains(group)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether every caller that {@code later} matches is certain to match this one too: this has a subject pattern of
     * stars only (every identified caller), or each of {@code later}'s subject patterns is covered by one of this one's
     * ({@link ToolGlob#covers}) and each of its groups is one of this one's. Sound, not complete: it may miss a cover
     * that only several patterns together give, never claims one that does not hold.
     */
    boolean covers(GrantCallers later) {
        for (String pattern : subjects) {
            if (pattern.chars().allMatch(c -> c == '*')) {
                return true;
            }
        }
        for (String pattern : later.subjects) {
            if (subjects.stream().noneMatch(mine -> ToolGlob.covers(mine, pattern))) {
                return false;
            }
        }
        return groups.containsAll(later.groups);
    }
}
