package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.SidecarConfig;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Watches the policy file's directory and reloads on changes to the file or the kubelet's {@code ..} entries. Kubernetes updates a ConfigMap volume by
 * swapping the {@code ..data} symlink, which shows up as events on the directory, never on the file itself; a periodic
 * re-check backs the watch up (file systems without inotify, missed events).
 */
@ApplicationScoped
public class PolicyFileWatcher {

    @Inject
    PolicyHolder holder;
    @Inject
    SidecarConfig config;

    private volatile boolean running;
    private Thread thread;

    void onStart(@Observes StartupEvent event) {
        holder.reloadIfChanged();
        running = true;
        thread = new Thread(this::watch, "toolgate-policy-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** The file itself, or the kubelet's {@code ..data} / {@code ..<timestamp>} entries of a ConfigMap volume. */
    static boolean concernsPolicy(WatchEvent<?> event, String fileName) {
        if (event.kind() == StandardWatchEventKinds.OVERFLOW || !(event.context() instanceof Path name)) {
            return true;
        }
        String n = name.toString();
        return n.equals(fileName) || n.startsWith("..");
    }

    private void watch() {
        Path dir = holder.file().toAbsolutePath().getParent();
        long pollMillis = Math.max(50, config.policyPollInterval().toMillis());
        WatchService watcher = null;
        try {
            watcher = FileSystems.getDefault().newWatchService();
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
            Log.warnf("Cannot watch %s (%s); re-checking the policy file every %d ms", dir, e, pollMillis);
        }
        String fileName = holder.file().getFileName().toString();
        long pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMillis);
        long lastCheck = System.nanoTime();
        while (running) {
            try {
                boolean relevant = false;
                long wait = Math.max(1, TimeUnit.NANOSECONDS.toMillis(pollNanos - (System.nanoTime() - lastCheck)));
                if (watcher != null) {
                    var key = watcher.poll(wait, TimeUnit.MILLISECONDS);
                    if (key != null) {
                        for (WatchEvent<?> event : key.pollEvents()) {
                            relevant |= concernsPolicy(event, fileName);
                        }
                        key.reset();
                    }
                } else {
                    Thread.sleep(wait);
                }
                // Other files in the directory (a log written next to the policy) do not trigger a re-read; the
                // periodic re-check still runs on time however busy the directory is.
                if (relevant || System.nanoTime() - lastCheck >= pollNanos) {
                    lastCheck = System.nanoTime();
                    holder.reloadIfChanged();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                Log.error("Policy watcher iteration failed", e);
            }
        }
    }
}
