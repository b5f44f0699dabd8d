package dev.toolgate.sidecar.caller;

import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.SidecarConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses the walk's {@link CallerResolver} from the settings: verified bearer tokens when a JWT issuer or
 * service-account audiences are configured, else the trusted header. With a verified source the header is never read
 * and is removed from forwarded requests. A setting that cannot work (a malformed issuer or URL, no audience, an
 * algorithm outside the allow-list) stops the sidecar at startup with a message naming it; an issuer whose keys cannot
 * be fetched leaves the sidecar running but not Ready, refusing every token of that issuer (401), logged and counted by
 * {@code toolgate_identity_key_fetches_total{issuer,outcome="failure"}}. It never falls back to the header.
 */
@Singleton
public class CallerResolvers {

    private final List<JwksFetcher> fetchers = new ArrayList<>();
    private final List<Long> timers = new ArrayList<>();
    private Vertx vertx;

    @Produces
    @Singleton
    CallerResolver resolver(SidecarConfig config, Vertx vertx, MeterRegistry registry) {
        this.vertx = vertx;
        SidecarConfig.Identity identity = config.identity();
        identity.header().ifPresent(name -> checkHeaderName("toolgate.identity.header", name));
        identity.forwardHeader().ifPresent(name -> checkHeaderName("toolgate.identity.forward-header", name));
        identity.forwardGroupsHeader().ifPresent(name -> checkHeaderName("toolgate.identity.forward-groups-header", name));
        identity.resourceMetadata().resource().ifPresent(url -> TrustedIssuer.checkUrl("toolgate.identity.resource-metadata.resource", url));
        identity.resourceMetadata().authorizationServers().ifPresent(urls -> urls.forEach(url ->
                TrustedIssuer.checkUrl("toolgate.identity.resource-metadata.authorization-servers", url)));
        List<TrustedIssuer> issuers = new ArrayList<>();
        SidecarConfig.Jwt jwt = identity.jwt();
        if (jwt.issuer().isPresent() || jwt.audiences().isPresent() || jwt.jwksUrl().isPresent()) {
            String issuer = jwt.issuer().orElseThrow(() -> new IllegalArgumentException(
                    "toolgate.identity.jwt.issuer is required when other toolgate.identity.jwt settings are set"));
            JwksFetcher fetcher = new JwksFetcher(vertx, issuer, jwt.jwksUrl(), jwt.caFile().map(Path::of), Optional.empty());
            issuers.add(new TrustedIssuer(issuer, jwt.audiences().orElse(List.of()), jwt.algorithms(), jwt.clockSkew(),
                    keys(issuer, fetcher, identity, registry), Caller.Source.JWT, TrustedIssuer.oidc(jwt.subjectClaim(), jwt.groupsClaim())));
            fetchers.add(fetcher);
        }
        SidecarConfig.ServiceAccount sa = identity.serviceAccount();
        if (sa.audiences().isPresent()) {
            JwksFetcher fetcher = new JwksFetcher(vertx, sa.issuer(), Optional.of(sa.jwksUrl()), Optional.of(Path.of(sa.caFile())),
                    Optional.of(Path.of(sa.tokenFile())));
            issuers.add(new TrustedIssuer(sa.issuer(), sa.audiences().get(), sa.algorithms(), sa.clockSkew(),
                    keys(sa.issuer(), fetcher, identity, registry), Caller.Source.SERVICE_ACCOUNT, TrustedIssuer.serviceAccount()));
            fetchers.add(fetcher);
        }
        if (issuers.isEmpty()) {
            Log.infof("toolgate identity: trusted header %s (unverified: only behind something that sets it)", identity.header().orElse("(none: every caller is anonymous)"));
            return new HeaderCallerResolver(identity.header());
        }
        identity.header().ifPresent(header -> Log.warnf(
                "toolgate identity: toolgate.identity.header=%s is ignored because verified tokens are configured; the header is removed from requests", header));
        Set<String> alsoConsumed = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        identity.header().ifPresent(alsoConsumed::add);
        identity.forwardHeader().ifPresent(alsoConsumed::add);
        identity.forwardGroupsHeader().ifPresent(alsoConsumed::add);
        BearerCallerResolver resolver = new BearerCallerResolver(issuers, identity.maxTokenBytes(), identity.forwardAuthorization(), alsoConsumed, Clock.systemUTC());
        for (TrustedIssuer issuer : issuers) {
            issuer.keys().refresh();
            long period = Math.max(1000, identity.keysRefreshInterval().toMillis());
            timers.add(vertx.setPeriodic(period, t -> issuer.keys().refresh()));
            Log.infof("toolgate identity: bearer tokens of %s (%s) accepted", issuer.issuer(), issuer.source());
        }
        return resolver;
    }

    private static final java.util.regex.Pattern HEADER_NAME = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Set<String> RESERVED_HEADERS = Set.of("authorization", "host", "content-type", "content-length",
            "mcp-session-id", "mcp-protocol-version", "connection", "transfer-encoding");

    /** An identity header must be an RFC 9110 token and none the proxy itself reads or sets. */
    static void checkHeaderName(String setting, String name) {
        if (!HEADER_NAME.matcher(name).matches() || RESERVED_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException(setting + " \"" + name + "\" is not usable as an identity header: it must be a header name (RFC 9110 token) other than "
                    + RESERVED_HEADERS);
        }
    }

    private static SigningKeys keys(String issuer, JwksFetcher fetcher, SidecarConfig.Identity identity, MeterRegistry registry) {
        // Counted here and read at scrape time: the first fetch starts while the application starts, and an increment of a
        // plain counter before the Prometheus registry joins the global composite would be lost.
        java.util.concurrent.atomic.AtomicLong success = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong failure = new java.util.concurrent.atomic.AtomicLong();
        io.micrometer.core.instrument.FunctionCounter.builder("toolgate.identity.key.fetches", success, java.util.concurrent.atomic.AtomicLong::get)
                .description("Fetches of an issuer's signing keys (JWKS), by outcome").tag("issuer", issuer).tag("outcome", "success").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("toolgate.identity.key.fetches", failure, java.util.concurrent.atomic.AtomicLong::get)
                .description("Fetches of an issuer's signing keys (JWKS), by outcome").tag("issuer", issuer).tag("outcome", "failure").register(registry);
        SigningKeys keys = new SigningKeys(issuer, fetcher, identity.keysMinRefetchInterval(), Clock.systemUTC(),
                outcome -> (outcome == SigningKeys.Outcome.SUCCESS ? success : failure).incrementAndGet());
        Gauge.builder("toolgate.identity.keys", keys, k -> k.problem() == null ? k.keyIds().size() : 0)
                .description("Signing keys in use per issuer (0: every token of it is refused)").tag("issuer", issuer).register(registry);
        return keys;
    }

    void stop(@Observes ShutdownEvent event) {
        if (vertx != null) {
            timers.forEach(vertx::cancelTimer);
        }
        fetchers.forEach(JwksFetcher::close);
    }
}
