package dev.toolgate.policy.cli;

import dev.toolgate.policy.Decision;
import dev.toolgate.policy.InMemoryCounterStore;
import dev.toolgate.policy.Policy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code policy-check test <tests.yaml>...}: runs each file's cases in order against its policy, one counter store per
 * file, and prints one line per case (PASS/FAIL, with expected and actual on a failure) and a summary.
 * Exit status: 0 every case passed; 1 some case failed; 2 a test file or its policy is unreadable or invalid (every
 * problem printed with its file and path), or bad usage. The other files still run.
 */
final class PolicyTests {

    static final int PASSED = 0;
    static final int FAILED = 1;
    static final int INVALID = 2;

    static final String USAGE = "usage: policy-check test <tests.yaml>...\n"
            + "  a test file: {policy: <file, relative to the test file>, policyName: <NAMESPACE/NAME or NAME, optional>,\n"
            + "                cases: [{name, tool, arguments, identity, groups, session, time, repeat,\n"
            + "                         expect: {decision, rule, reason, grant, counter, retryAfterSeconds, enforcement}}]}";

    private final PrintStream out;
    private final PrintStream err;
    private int passed;
    private int failed;
    private int invalidFiles;

    PolicyTests(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> files) {
        if (files.isEmpty() || files.stream().anyMatch(f -> f.startsWith("-"))) {
            if (files.contains("-h") || files.contains("--help")) {
                out.println(USAGE);
                return PASSED;
            }
            err.println(USAGE);
            return INVALID;
        }
        for (String file : files) {
            runFile(Path.of(file));
        }
        out.println(PolicyFile.count(passed + failed, "case") + " in " + PolicyFile.count(files.size(), "file") + ": " + passed + " passed, "
                + failed + " failed" + (invalidFiles > 0 ? ", " + PolicyFile.count(invalidFiles, "file") + " invalid" : ""));
        return invalidFiles > 0 ? INVALID : failed > 0 ? FAILED : PASSED;
    }

    private void runFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            invalid("cannot read test file: no such file " + file, List.of());
            return;
        } catch (IOException e) {
            invalid("cannot read test file " + file + ": " + e.getMessage(), List.of());
            return;
        }
        TestSuite suite = TestSuite.parse(text);
        if (!suite.problems.isEmpty()) {
            invalid("invalid test file " + file + ": " + PolicyFile.count(suite.problems.size(), "problem"), suite.problems);
            return;
        }
        // relative to the test file, shown as a path from here
        Path policyFile = file.getParent() == null ? Path.of(suite.policy).normalize() : file.getParent().resolve(suite.policy).normalize();
        PolicyFile.Loaded loaded;
        try {
            loaded = PolicyFile.load(policyFile, suite.policyName, "policyName:", err);
        } catch (PolicyFile.Unusable e) {
            invalid(file + ": policy: " + e.getMessage(), e.details());
            return;
        }
        out.println(file + ": " + loaded.description() + " from " + policyFile);
        Policy policy = Policy.compile(loaded.document(), new InMemoryCounterStore());
        for (TestSuite.Case testCase : suite.cases) {
            String mismatch = null;
            Decision last = null;
            for (int call = 1; call <= testCase.repeat() && mismatch == null; call++) {
                last = policy.decide(testCase.call(), testCase.time());
                mismatch = mismatch(testCase.expect(), last, loaded);
                if (mismatch != null && testCase.repeat() > 1) {
                    mismatch = "call " + call + " of " + testCase.repeat() + ": " + mismatch;
                }
            }
            String times = testCase.repeat() > 1 ? " x" + testCase.repeat() : "";
            if (mismatch == null) {
                passed++;
                out.println("  PASS  " + testCase.title() + ": " + last.verdict().label() + times);
            } else {
                failed++;
                out.println("  FAIL  " + testCase.title() + ": " + mismatch + " (got rule " + loaded.rule(last) + ", reason "
                        + TestSuite.quote(last.reason()) + (last.grant().isEmpty() ? "" : ", grant " + last.grant()) + ")");
            }
        }
    }

    /** What differs from the expectation, as {@code field: expected x, got y; ...}, or {@code null} when nothing does. */
    private static String mismatch(TestSuite.Expectation expect, Decision actual, PolicyFile.Loaded loaded) {
        List<String> differences = new ArrayList<>();
        if (expect.decision() != actual.verdict()) {
            differences.add("decision: expected " + expect.decision().label() + ", got " + actual.verdict().label());
        }
        compare(differences, "rule", expect.rule(), loaded.rule(actual));
        compare(differences, "reason", expect.reason(), actual.reason());
        compare(differences, "grant", expect.grant(), actual.grant());
        compare(differences, "counter", expect.counter(), actual.counter());
        compare(differences, "enforcement", expect.enforcement(), actual.enforcement());
        if (expect.retryAfterSeconds() != null && expect.retryAfterSeconds() != actual.retryAfterSeconds()) {
            differences.add("retryAfterSeconds: expected " + expect.retryAfterSeconds() + ", got " + actual.retryAfterSeconds());
        }
        return differences.isEmpty() ? null : String.join("; ", differences);
    }

    private static void compare(List<String> differences, String field, String expected, String actual) {
        if (expected != null && !Objects.equals(expected, actual)) {
            differences.add(field + ": expected " + TestSuite.quote(expected) + ", got " + TestSuite.quote(actual));
        }
    }

    private void invalid(String headline, List<String> details) {
        invalidFiles++;
        err.println(headline);
        details.forEach(detail -> err.println("  " + detail));
    }
}
