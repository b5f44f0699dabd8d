package dev.toolgate.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;

import static org.assertj.core.api.Assertions.assertThat;

/** The chart's release as every KT class installs it: images as loaded ({@code pullPolicy: Never}), one at a time. */
final class ToolgateRelease {

    static final String SYSTEM = "toolgate-system";
    static final String NAME = "toolgate";

    private ToolgateRelease() {
    }

    /**
     * Leaves the cluster as a previous (maybe interrupted) run of any KT class may not have: no release, none of the
     * given test namespaces, and this build's CRDs applied.
     */
    static void cleanUp(KubernetesClient client, List<String> namespaces) {
        long t0 = System.nanoTime();
        for (String ns : namespaces) {
            client.namespaces().withName(ns).delete();
        }
        Kind.waitFor("old test namespaces " + namespaces + " to go", Duration.ofSeconds(120),
                () -> namespaces.stream().allMatch(ns -> client.namespaces().withName(ns).get() == null),
                () -> "namespaces: " + client.namespaces().list().getItems().stream().map(n -> n.getMetadata().getName()
                        + "=" + n.getStatus().getPhase()).toList());
        List<Release> releases = Helm.list().withKubeConfig(Kind.KUBECONFIG).withNamespace(SYSTEM).call();
        if (releases.stream().anyMatch(r -> r.getName().equals(NAME))) {
            Kind.log("uninstalling the release a previous run left");
            Helm.uninstall(NAME).withNamespace(SYSTEM).withKubeConfig(Kind.KUBECONFIG).call();
        }
        client.namespaces().withName(SYSTEM).delete();
        Kind.waitFor("namespace " + SYSTEM + " to go", Duration.ofSeconds(120), () -> client.namespaces().withName(SYSTEM).get() == null,
                () -> Kind.describePods(client, SYSTEM));
        // Helm installs crds/ only while the CRD is absent and never upgrades it (for every chart): a CRD a previous run
        // installed would stay at that run's schema. Apply this build's, as an upgrade of Toolgate does.
        for (String name : List.of("mcppolicies.toolgate.dev", "mcpapprovals.toolgate.dev")) {
            try (InputStream in = Files.newInputStream(Kind.ROOT.resolve("crds/" + name + "-v1.yml"))) {
                var crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
                client.resource(crd).fieldManager("toolgate-kt").forceConflicts().serverSideApply();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Kind.waitFor("CRD " + name + " to be established", Duration.ofSeconds(60), () -> {
                var crd = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
                return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
                        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
            }, () -> "CRD " + name + " not established");
        }
        Kind.log("clean cluster in %d ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /** Every release here runs the images {@code kind load} put on the node: nothing may be pulled. */
    private static final Map<String, String> IMAGES_ON_THE_NODE = Map.of("operator.image.pullPolicy", "Never",
            "sidecar.image.pullPolicy", "Never");

    /** {@code helm install} of the packaged chart into {@value #SYSTEM}; returns once the operator is Ready. */
    static Release install(KubernetesClient client) {
        return install(client, Map.of());
    }

    /** The same with more chart values ({@code --set name=value}). */
    static Release install(KubernetesClient client, Map<String, String> values) {
        long t0 = System.nanoTime();
        var install = Helm.install(Kind.CHART.toString()).withName(NAME).withNamespace(SYSTEM).createNamespace()
                .withKubeConfig(Kind.KUBECONFIG);
        IMAGES_ON_THE_NODE.forEach(install::set);
        values.forEach(install::set);
        Release release = install.call();
        assertThat(release.getStatus()).isEqualTo("deployed");
        Kind.waitFor("every operator replica to be Ready", Duration.ofSeconds(180), () -> {
            Deployment d = client.apps().deployments().inNamespace(SYSTEM).withName("toolgate-operator").get();
            return d != null && d.getStatus() != null && d.getSpec().getReplicas() != null
                    && d.getSpec().getReplicas().equals(d.getStatus().getReadyReplicas());
        }, () -> Kind.describePods(client, SYSTEM));
        Kind.log("operator Ready %d ms after helm install", (System.nanoTime() - t0) / 1_000_000);
        return release;
    }

    /**
     * {@code helm upgrade} of the release to the same packaged chart with these values besides the images' pull policy
     * (every other value back to the chart's default); returns once every operator replica of the new rollout is Ready.
     */
    static Release upgrade(KubernetesClient client, Map<String, String> values) {
        long t0 = System.nanoTime();
        var upgrade = Helm.upgrade(Kind.CHART.toString()).withName(NAME).withNamespace(SYSTEM).withKubeConfig(Kind.KUBECONFIG);
        IMAGES_ON_THE_NODE.forEach(upgrade::set);
        values.forEach(upgrade::set);
        Release release = upgrade.call();
        assertThat(release.getStatus()).isEqualTo("deployed");
        Kind.waitFor("the upgraded operator's rollout", Duration.ofSeconds(240), () -> {
            Deployment d = client.apps().deployments().inNamespace(SYSTEM).withName("toolgate-operator").get();
            return d != null && d.getStatus() != null && d.getSpec().getReplicas() != null
                    && java.util.Objects.equals(d.getMetadata().getGeneration(), d.getStatus().getObservedGeneration())
                    && d.getSpec().getReplicas().equals(d.getStatus().getUpdatedReplicas())
                    && d.getSpec().getReplicas().equals(d.getStatus().getReadyReplicas())
                    && d.getSpec().getReplicas().equals(d.getStatus().getReplicas())
                    // the old replicas gone too: while terminating they may still answer the webhook with the old values
                    && client.pods().inNamespace(SYSTEM).list().getItems().size() == d.getSpec().getReplicas();
        }, () -> Kind.describePods(client, SYSTEM));
        Kind.log("operator rolled out %d ms after helm upgrade", (System.nanoTime() - t0) / 1_000_000);
        return release;
    }

    /** {@code helm uninstall} and the system namespace deleted (the CRDs stay, as Helm leaves them). */
    static void uninstall(KubernetesClient client) {
        Helm.uninstall(NAME).withNamespace(SYSTEM).withKubeConfig(Kind.KUBECONFIG).call();
        client.namespaces().withName(SYSTEM).delete();
    }
}
