package dev.toolgate.operator.it;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.fabric8.kubernetes.client.Config;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Replaces Quarkus's default Kubernetes client Config in the ITs: the operator under test talks to the real API
 * server as its ServiceAccount (impersonated), so it has exactly the permissions the chart grants in the IT's setting ({@link ChartManifests}).
 */
@Singleton
public class OperatorIdentity {

    @Produces
    @Singleton
    Config operatorConfig(@ConfigProperty(name = "toolgate.it.kubeconfig") String kubeconfigBase64) {
        Config admin = Config.fromKubeconfig(new String(Base64.getDecoder().decode(kubeconfigBase64), StandardCharsets.UTF_8));
        return KubeApiServers.asOperator(admin);
    }
}
