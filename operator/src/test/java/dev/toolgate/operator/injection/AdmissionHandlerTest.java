package dev.toolgate.operator.injection;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import io.fabric8.zjsonpatch.JsonPatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class AdmissionHandlerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Test
    void thePatchTurnsTheSubmittedPodIntoTheMutatedOne() throws Exception {
        InjectionGoldenTest.Input input = GoldenFiles.YAML.readValue(
                getClass().getResource("/golden/injection/in-two-policies-oldest-wins.yaml"), InjectionGoldenTest.Input.class);
        AdmissionHandler handler = new AdmissionHandler(ns -> input.policies(), () -> InjectionGoldenTest.NATIVE, meters);

        AdmissionReview answer = handler.handle(review("CREATE", input.pod()));

        assertThat(answer.getResponse().getUid()).isEqualTo("uid-1");
        assertThat(answer.getResponse().getAllowed()).isTrue();
        assertThat(answer.getResponse().getPatchType()).isEqualTo("JSONPatch");
        JsonNode patch = JSON.readTree(Base64.getDecoder().decode(answer.getResponse().getPatch()));
        JsonNode patched = JsonPatch.apply(patch, JSON.valueToTree(input.pod()));
        McpPolicy winner = input.policies().stream().filter(p -> p.getMetadata().getName().equals("z-older")).findFirst().orElseThrow();
        // Through text, so int/long node types do not matter; JsonNode equality ignores field order, as the API server does.
        JsonNode expected = JSON.readTree(JSON.writeValueAsString(PodMutator.inject(input.pod(), winner, InjectionGoldenTest.NATIVE)));
        patched = JSON.readTree(patched.toString());
        assertThat(patched.equals(expected)).as("patched pod %s equals %s", patched, expected).isTrue();
        assertThat(answer.getResponse().getWarnings()).singleElement().asString().contains("b-newer").contains("injected z-older");
        assertThat(meters.counter("toolgate.operator.admission.requests", "result", "injected", "reason", "injected").count()).isEqualTo(1);
    }

    @Test
    void skipsWithoutPatchAndCountsTheReason() {
        Pod pod = InjectionDecisionTest.pod(java.util.Map.of("app", "web"), java.util.Map.of());
        AdmissionHandler handler = new AdmissionHandler(ns -> List.of(), () -> InjectionGoldenTest.NATIVE, meters);

        AdmissionReview answer = handler.handle(review("CREATE", pod));

        assertThat(answer.getResponse().getAllowed()).isTrue();
        assertThat(answer.getResponse().getPatch()).isNull();
        assertThat(meters.counter("toolgate.operator.admission.requests", "result", "skipped", "reason", "no_matching_policy").count())
                .isEqualTo(1);
    }

    @Test
    void aPodSelectedByAPolicyWithAnInvalidIdentityIsRefusedNamingTheField() throws Exception {
        InjectionGoldenTest.Input input = GoldenFiles.YAML.readValue(
                getClass().getResource("/golden/injection/in-identity-jwt.yaml"), InjectionGoldenTest.Input.class);
        McpPolicy policy = input.policies().get(0);
        policy.getSpec().getIdentity().setHeader("X-Agent-Id");
        policy.getSpec().getIdentity().getJwt().setIssuer("http://login.example.com");
        AdmissionHandler handler = new AdmissionHandler(ns -> input.policies(), () -> InjectionGoldenTest.NATIVE, meters);

        AdmissionReview answer = handler.handle(review("CREATE", input.pod()));

        assertThat(answer.getResponse().getAllowed()).isFalse();
        assertThat(answer.getResponse().getPatch()).isNull();
        assertThat(answer.getResponse().getStatus().getMessage())
                .startsWith("toolgate: McpPolicy crm selects this pod but its identity configuration is invalid, so the pod is refused: ")
                .contains("spec.identity.header: a trusted header cannot be combined with jwt or serviceAccount")
                .contains("spec.identity.jwt.issuer: expected an https URL without query or fragment, got \"http://login.example.com\"");
        assertThat(meters.counter("toolgate.operator.admission.requests", "result", "refused", "reason", "invalid_identity").count())
                .isEqualTo(1);
    }

    @Test
    void aPodWhosePortsClashWithTheSidecarsIsRefusedWithAMessageNamingThePort() throws Exception {
        InjectionGoldenTest.Input input = GoldenFiles.YAML.readValue(
                getClass().getResource("/golden/injection/in-two-policies-oldest-wins.yaml"), InjectionGoldenTest.Input.class);
        Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder(input.pod()).editSpec().addNewContainer().withName("metrics")
                .withImage("exporter").addNewPort().withContainerPort(9000).endPort().endContainer().endSpec().build();
        AdmissionHandler handler = new AdmissionHandler(ns -> input.policies(), () -> InjectionGoldenTest.NATIVE, meters);

        AdmissionReview answer = handler.handle(review("CREATE", pod));

        assertThat(answer.getResponse().getAllowed()).isFalse();
        assertThat(answer.getResponse().getPatch()).isNull();
        assertThat(answer.getResponse().getStatus().getCode()).isEqualTo(400);
        assertThat(answer.getResponse().getStatus().getMessage())
                .contains("container \"metrics\" declares port 9000", "management port", "McpPolicy z-older", "toolgate.dev/inject");
        assertThat(meters.counter("toolgate.operator.admission.requests", "result", "refused", "reason", "port_clash").count()).isEqualTo(1);
    }

    @Test
    void aContainerRunningAsTheSidecarsUidIsNamedInAWarning() throws Exception {
        InjectionGoldenTest.Input input = GoldenFiles.YAML.readValue(
                getClass().getResource("/golden/injection/in-two-policies-oldest-wins.yaml"), InjectionGoldenTest.Input.class);
        SidecarSettings s = InjectionGoldenTest.NATIVE;
        SidecarSettings redirect = new SidecarSettings(s.image(), s.proxyPort(), s.nativeSidecar(), s.cpuRequest(), s.memoryRequest(),
                s.memoryLimit(), 65532L, s.logLevel(), s.imagePullPolicy(), s.jvmProfile(), true, "ghcr.io/toolgate-dev/init:test", null);
        Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder(input.pod()).editSpec()
                .withNewSecurityContext().withRunAsUser(65532L).endSecurityContext().endSpec().build();
        String app = pod.getSpec().getContainers().get(0).getName();

        AdmissionReview answer = new AdmissionHandler(ns -> input.policies(), () -> redirect, meters).handle(review("CREATE", pod));

        assertThat(answer.getResponse().getAllowed()).isTrue();
        assertThat(answer.getResponse().getWarnings()).anySatisfy(w -> assertThat(w).contains(app, "sidecar's uid 65532", "bypass"));
        // the container's own uid overrides the pod's: then nothing is shared
        Pod other = new io.fabric8.kubernetes.api.model.PodBuilder(pod).editSpec().editFirstContainer().withNewSecurityContext()
                .withRunAsUser(1000L).endSecurityContext().endContainer().endSpec().build();
        assertThat(PodMutator.containersSharingTheSidecarUid(other, redirect)).isEmpty();
        assertThat(PodMutator.containersSharingTheSidecarUid(pod, s)).as("no redirect, no warning").isEmpty();
    }

    @Test
    void aHostNetworkPodSelectedByAPolicyIsAdmittedUninjectedWithAWarning() throws Exception {
        InjectionGoldenTest.Input input = GoldenFiles.YAML.readValue(
                getClass().getResource("/golden/injection/in-two-policies-oldest-wins.yaml"), InjectionGoldenTest.Input.class);
        Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder(input.pod()).editSpec().withHostNetwork(true).endSpec().build();
        AdmissionHandler handler = new AdmissionHandler(ns -> input.policies(), () -> InjectionGoldenTest.NATIVE, meters);

        AdmissionReview answer = handler.handle(review("CREATE", pod));

        assertThat(answer.getResponse().getAllowed()).isTrue();
        assertThat(answer.getResponse().getPatch()).isNull();
        assertThat(answer.getResponse().getWarnings()).singleElement().asString()
                .contains("not injected", "McpPolicy z-older", "hostNetwork", "unprotected");
        assertThat(meters.counter("toolgate.operator.admission.requests", "result", "skipped", "reason", "host_network").count()).isEqualTo(1);
    }

    @Test
    void aFailureIsAnsweredAsAnErrorNotAnUninjectedPod() {
        Pod pod = InjectionDecisionTest.pod(java.util.Map.of("app", "web"), java.util.Map.of());
        AdmissionHandler handler = new AdmissionHandler(ns -> {
            throw new IllegalStateException("cache not synced");
        }, () -> InjectionGoldenTest.NATIVE, meters);

        AdmissionReview answer = handler.handle(review("CREATE", pod));

        assertThat(answer.getResponse().getAllowed()).isFalse();
        assertThat(answer.getResponse().getStatus().getMessage()).contains("cache not synced");
        assertThat(new String(JSON.valueToTree(answer).toString().getBytes(StandardCharsets.UTF_8))).contains("\"uid\":\"uid-1\"");
    }

    static AdmissionReview review(String operation, Pod pod) {
        return new AdmissionReviewBuilder().withApiVersion("admission.k8s.io/v1").withKind("AdmissionReview")
                .withNewRequest().withUid("uid-1").withOperation(operation).withNamespace("ns")
                .withNewKind("", "Pod", "v1")
                .withObject(pod).endRequest().build();
    }
}
