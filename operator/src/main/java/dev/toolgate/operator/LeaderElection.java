package dev.toolgate.operator;

import java.util.UUID;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;

/**
 * JOSDK's leader election for the reconcilers: a Lease in the operator's namespace. Non-leaders keep their informers
 * filled (JOSDK starts event sources on every replica and only the processing on the leader) and serve the webhooks and
 * the approval API, which read their own caches; a leader that loses the Lease exits, and its pod restarts as a standby.
 */
public class LeaderElection {

    private static final Logger LOG = Logger.getLogger(LeaderElection.class);

    /** Null (no leader election) when {@code toolgate.operator.leader-election.enabled=false}. */
    @Produces
    @Dependent
    LeaderElectionConfiguration leaderElection(OperatorConfig config) {
        OperatorConfig.LeaderElection election = config.leaderElection();
        if (!election.enabled()) {
            LOG.info("Leader election disabled: this replica reconciles on its own (run one replica)");
            return null;
        }
        String identity = election.identity().filter(i -> !i.isBlank()).orElseGet(() -> "toolgate-operator-" + UUID.randomUUID());
        LeaderCallbacks callbacks = new LeaderCallbacks(
                () -> LOG.infof("Leading (Lease %s/%s): reconciling", config.namespace(), election.leaseName()),
                () -> LOG.warnf("Lost the Lease %s/%s: exiting so the pod restarts as a standby", config.namespace(), election.leaseName()),
                leader -> LOG.infof("Lease %s/%s is held by %s", config.namespace(), election.leaseName(), leader));
        return new LeaderElectionConfiguration(election.leaseName(), config.namespace(), election.leaseDuration(),
                election.renewDeadline(), election.retryPeriod(), identity, callbacks, true);
    }
}
