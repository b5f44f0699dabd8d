package dev.toolgate.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Prometheus' own {@code promtool} (Debian's prometheus package, on PATH): missing, the tests fail, never skip. */
final class Promtool {

    record Result(int exitCode, String output) {
    }

    private Promtool() {
    }

    /** Runs {@code promtool args...}; bounded at a minute. */
    static Result run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(path()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        return new Result(process.exitValue(), output);
    }

    private static String path() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new AssertionError("promtool not found on PATH: install Prometheus (Debian: apt-get install prometheus)");
    }
}
