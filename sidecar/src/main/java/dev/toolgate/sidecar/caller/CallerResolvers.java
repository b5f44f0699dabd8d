package dev.toolgate.sidecar.caller;

import dev.toolgate.sidecar.SidecarConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Chooses the sidecar's {@link CallerResolver} from its settings ({@code toolgate.identity.*}). */
public class CallerResolvers {

    @Produces
    @Singleton
    CallerResolver resolver(SidecarConfig config) {
        return new HeaderCallerResolver(config.identity().header());
    }
}
