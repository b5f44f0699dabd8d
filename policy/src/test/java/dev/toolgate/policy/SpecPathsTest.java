package dev.toolgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpecPathsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "tools[\"update_amount\"].deny_if[0].conditions[1].op | spec.tools[\"update_amount\"].denyIf[0].conditions[1].op",
            "tools[\"a.deny_if\"].on_deny                        | spec.tools[\"a.deny_if\"].onDeny",
            "tools[\"x\"].deny_if[2].on_deny                       | spec.tools[\"x\"].denyIf[2].onDeny",
            "tools[\"x\"].rate_limit.max                           | spec.tools[\"x\"].rateLimit.max",
            "hide_denied_tools                                   | spec.hideDeniedTools",
            "$.limits[0].window                                  | spec.limits[0].window",
            "tools[\"x\"].args.properties.on_deny.type             | spec.tools[\"x\"].args.properties.on_deny.type",
            "tools[\"q\\\"]\"].rate_limit                           | spec.tools[\"q\\\"]\"].rateLimit",
            "grants[1].tools[\"t\"].deny_if[0].on_deny             | spec.grants[1].tools[\"t\"].denyIf[0].onDeny",
            "grants[0].callers.subjects[2]                       | spec.grants[0].callers.subjects[2]",
    })
    void translatesDocumentPathsToSpecPaths(String documentPath, String specPath) {
        assertThat(SpecPaths.toSpecPath(documentPath)).isEqualTo(specPath);
    }
}
