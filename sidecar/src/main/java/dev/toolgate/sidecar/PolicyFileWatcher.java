package dev.toolgate.sidecar;

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
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Watches the policy file's directory and reloads on any change there. Kubernetes updates a ConfigMap volume by
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
        while (running) {
            try {
                if (watcher != null) {
                    var key = watcher.poll(pollMillis, TimeUnit.MILLISECONDS);
                    if (key != null) {
                        key.pollEvents();
                        key.reset();
                    }
                } else {
                    Thread.sleep(pollMillis);
                }
                holder.reloadIfChanged();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                Log.error("Policy watcher iteration failed", e);
            }
        }
    }
}
