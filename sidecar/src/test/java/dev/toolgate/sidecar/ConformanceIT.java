package dev.toolgate.sidecar;

import dev.toolgate.testsupport.McpPeers;
import dev.toolgate.sidecar.enforce.PolicyHolder;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MCP conformance suite's server scenarios, run against server-everything directly and through the sidecar with
 * an allow-all policy: every scenario must come out the same (server-everything itself fails some of them).
 */
@QuarkusTest
@TestProfile(Profiles.Direct.class)
class ConformanceIT {
    private static final Pattern SCENARIO = Pattern.compile("^[✓✗] (\\S+): (\\d+) passed, (\\d+) failed$", Pattern.MULTILINE);

    @Inject
    PolicyHolder holder;

    record SuiteRun(Map<String, String> results, String output) {
    }

    static SuiteRun runSuite(String url) throws Exception {
        Path cli = McpPeers.require("node_modules/@modelcontextprotocol/conformance/dist/index.js");
        Path workDir = Files.createTempDirectory("conformance-");
        Process process = new ProcessBuilder(McpPeers.node(), cli.toString(), "server", "--url", url)
                .directory(workDir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("conformance suite finished").isTrue();
        Map<String, String> results = new TreeMap<>();
        Matcher m = SCENARIO.matcher(output);
        while (m.find()) {
            results.put(m.group(1), m.group(2) + " passed, " + m.group(3) + " failed");
        }
        assertThat(results).as("scenario summary in conformance output:\n" + output).hasSizeGreaterThanOrEqualTo(20);
        return new SuiteRun(results, output);
    }

    @Test
    void sameResultDirectAndThroughTheSidecar() throws Exception {
        TestSupport.usePolicyResource(holder, "policies/allow-all.json");
        SuiteRun direct = runSuite(SidecarTestResource.server.baseUrl() + "/mcp");
        SuiteRun proxied = runSuite(SidecarTestResource.proxyUrl() + "/mcp");
        assertThat(proxied.results()).as("through the sidecar:\n" + proxied.output() + "\n\ndirect:\n" + direct.output())
                .isEqualTo(direct.results());
    }
}
