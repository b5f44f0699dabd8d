package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.observe.ToolCallMetrics;

import dev.toolgate.policy.Policy;
import dev.toolgate.policy.PolicyException;
import dev.toolgate.policy.CounterStore;
import dev.toolgate.sidecar.counters.CounterStores;
import io.quarkus.logging.Log;
import jakarta.inject.Singleton;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The policy in force. Swapped atomically on reload; an invalid new file leaves the old policy in place. Rate-limit
 * counters live in the sidecar's one {@link CounterStore} ({@link CounterStores}) so unchanged counters survive reloads.
 */
@Singleton // no client proxy: these run on every request
public class PolicyHolder {

    /** What is loaded now: the policy (null when none is valid) and why not, if not. */
    public record State(Policy policy, String problem) {
    }

    private final AtomicReference<State> state = new AtomicReference<>(new State(null, "policy not loaded yet"));
    private volatile byte[] lastFileDigest;
    private String lastProblem;
    private final CounterStore limiter;
    private final Path file;
    private final ToolCallMetrics metrics;

    @Inject
    public PolicyHolder(SidecarConfig config, ToolCallMetrics metrics, CounterStores counters) {
        this.limiter = counters.store();
        this.file = Path.of(config.policyFile());
        this.metrics = metrics;
    }

    public Path file() {
        return file;
    }

    public State state() {
        return state.get();
    }

    public Optional<Policy> policy() {
        return Optional.ofNullable(state.get().policy());
    }

    /**
     * Re-reads the file when its bytes changed (following symlinks, so a ConfigMap {@code ..data} swap is seen).
     *
     * @return true when a new policy was installed
     */
    public synchronized boolean reloadIfChanged() {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return failed(null, "policy file " + file + " does not exist");
        } catch (IOException e) {
            return failed(null, "cannot read policy file " + file + ": " + e);
        }
        byte[] digest = sha256(content);
        if (Arrays.equals(digest, lastFileDigest)) {
            return false;
        }
        lastFileDigest = digest;
        try {
            Policy policy = Policy.load(new String(content, java.nio.charset.StandardCharsets.UTF_8), limiter);
            state.set(new State(policy, null));
            lastProblem = null;
            metrics.policyLoaded(policy);
            Log.infof("Loaded policy %s (hash %s)", file, policy.hash());
            return true;
        } catch (PolicyException e) {
            return failed(digest, "invalid policy " + file + ": " + e.getMessage());
        } catch (RuntimeException e) {
            return failed(digest, "cannot load policy " + file + ": " + e);
        }
    }

    private boolean failed(byte[] digest, String problem) {
        State current = state.get();
        if (digest == null && problem.equals(lastProblem)) {
            return false; // still missing: count and log once, not every poll
        }
        lastFileDigest = digest;
        lastProblem = problem;
        metrics.policyReloadFailed();
        if (current.policy() == null) {
            state.set(new State(null, problem));
            Log.errorf("No valid policy: %s; every tools/call is denied", problem);
        } else {
            Log.errorf("Policy reload rejected, keeping policy %s: %s", current.policy().hash(), problem);
        }
        return false;
    }

    static byte[] sha256(byte[] content) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(content);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
