package dev.toolgate.sidecar.approval;

import java.util.Base64;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Gets the policy's request state key from the operator ({@code POST /approvals/v1/state-key}) for {@link RequestStates},
 * at start and then every {@value #RETRY_MILLIS} ms until it has it, when approvals are configured and no
 * {@code state-key-file} is set. Until then elicit mode seals with the sidecar's own key (a re-sent call reaching another
 * replica meanwhile is refused with the reason, and its client starts afresh).
 */
@Singleton
public class StateKeyFetch {

    static final long RETRY_MILLIS = 10_000;

    private final ApprovalClient client;
    private final RequestStates states;
    private final Vertx vertx;
    private boolean warned;

    public StateKeyFetch(ApprovalClient client, RequestStates states, Vertx vertx) {
        this.client = client;
        this.states = states;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) {
        if (client.configured() && states.wantsSharedKey()) {
            fetch();
        }
    }

    private void fetch() {
        client.call("state-key", JsonNodeFactory.instance.objectNode()).whenComplete((answer, failure) -> {
            if (failure == null) {
                try {
                    states.adopt(Base64.getDecoder().decode(answer.path("key").asText("")));
                    Log.infof("toolgate approvals: elicit mode seals requestState with McpPolicy %s's key from the operator, as every"
                            + " replica does", client.policy());
                    return;
                } catch (IllegalArgumentException e) {
                    failure = e;
                }
            }
            if (!warned) {
                warned = true;
                Log.warnf("toolgate approvals: no state key from the operator yet (%s); elicit mode seals with this process's own key"
                        + " and asks again every %d s", failure.getMessage(), RETRY_MILLIS / 1000);
            }
            vertx.setTimer(RETRY_MILLIS, t -> fetch());
        });
    }
}
