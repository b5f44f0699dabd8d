package dev.toolgate.operator.it;

import java.io.IOException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real kube-controller-manager (from scripts/kube-binaries.sh) running only the garbage collector against the
 * kube-api-test API server, so deleting an owner really removes its dependents. Loopback only, free port, admin
 * kubeconfig of the test server; {@link #close()} kills it.
 */
final class ControllerManager implements AutoCloseable {

    private final Process process;
    private final Path workDir;

    private ControllerManager(Process process, Path workDir) {
        this.process = process;
        this.workDir = workDir;
    }

    static ControllerManager startGarbageCollector() {
        Path binary = KubeApiServers.binary("kube-controller-manager");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " is missing: run scripts/kube-binaries.sh (recipe 3 or newer builds it)");
        }
        try {
            Path workDir = Files.createTempDirectory("kube-controller-manager");
            Path kubeconfig = workDir.resolve("kubeconfig.yaml");
            Files.writeString(kubeconfig, KubeApiServers.kubeconfigYaml());
            List<String> command = List.of(binary.toString(),
                    "--kubeconfig=" + kubeconfig,
                    "--controllers=garbagecollector",
                    "--use-service-account-credentials=false",
                    "--leader-elect=false",
                    "--bind-address=127.0.0.1",
                    "--secure-port=" + KubeApiServers.freePort(),
                    "--cert-dir=" + workDir.resolve("certs"),
                    "--v=1");
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(workDir.resolve("kube-controller-manager.log").toFile()).start();
            return new ControllerManager(process, workDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary, e);
        }
    }

    /** The end of the process log, for assertion messages when the garbage collector does not act. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(workDir.resolve("kube-controller-manager.log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
