package dev.toolgate.sidecar;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/** One Quarkus start per profile; test classes of a profile share the sidecar and its server-everything. */
public final class Profiles {
    private Profiles() {
    }

    /** Streamable HTTP server-everything behind the sidecar, policy {@code policies/everything.json}. */
    public static class StreamableHttp implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "streamableHttp")));
        }
    }

    /** Legacy HTTP+SSE server-everything behind the sidecar. */
    public static class LegacySse implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "sse")));
        }
    }

    /** Streamable HTTP with a small bound on buffered request bytes (8 MiB), to spend it in tests. */
    public static class SmallBufferBudget implements QuarkusTestProfile {
        public static final long BUDGET = 8L << 20;

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("toolgate.max-buffered-bytes", Long.toString(BUDGET));
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "streamableHttp")));
        }
    }

    /** No policy file at startup. */
    public static class NoPolicy implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "streamableHttp", "policy", "")));
        }
    }

    /** The sidecar straight in front of server-everything (no recorder), allow-all: the deployment shape for conformance. */
    public static class Direct implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class,
                    Map.of("mode", "streamableHttp", "recorder", "false", "policy", "policies/allow-all.json")));
        }
    }

    /**
     * The stock TypeScript SDK server with an event store (resumable streams) behind the recorder, whose scripted mode
     * plays misbehaving servers; a short idle timeout so stalls are cut quickly.
     */
    public static class Scripted implements QuarkusTestProfile {
        public static final java.time.Duration IDLE_TIMEOUT = java.time.Duration.ofSeconds(2);

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class,
                    Map.of("mode", "resumable", "idle-timeout", IDLE_TIMEOUT.toSeconds() + "s")));
        }
    }

    /**
     * Streamable HTTP with verified JWTs of a {@link TestIssuer}; the trusted header ({@code X-Agent-Id}, still set by
     * {@link SidecarTestResource}) is then ignored and removed.
     */
    public static class VerifiedJwt implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(TestIssuer.class),
                    new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "streamableHttp")));
        }
    }

    /** Verified JWTs of an issuer nobody serves: the sidecar must fail closed (not Ready, 401, never the header). */
    public static class UnreachableIssuer implements QuarkusTestProfile {
        /** Port 1 on loopback: privileged, nothing listens (a fixed value: the profile and the test load this class apart). */
        public static final String ISSUER = "http://127.0.0.1:1/nobody";

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("toolgate.identity.jwt.issuer", ISSUER, "toolgate.identity.jwt.audiences", "toolgate-e2e");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "streamableHttp")));
        }
    }

    /** {@link VerifiedJwt} on the legacy HTTP+SSE transport. */
    public static class VerifiedJwtLegacy implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(TestIssuer.class),
                    new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "sse")));
        }
    }

    /** The TypeScript SDK server whose tool definitions change while the sidecar runs, behind the recorder. */
    public static class ChangingTools implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "changing", "policy", "policies/allow-all.json")));
        }
    }

    /** Streamable HTTP with tracing on, exporting OTLP/HTTP to the {@link OtlpReceiver} of {@link SidecarTestResource}. */
    public static class Tracing implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SidecarTestResource.class, Map.of("mode", "streamableHttp", "tracing", "true")));
        }
    }
}
