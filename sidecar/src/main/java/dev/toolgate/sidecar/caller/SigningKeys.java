package dev.toolgate.sidecar.caller;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.quarkus.logging.Log;
import io.vertx.core.Future;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One issuer's signing keys: the last JWKS that was fetched and parsed, kept until a newer one parses. Fetched again on
 * a timer (so removed keys stop verifying) and when a token names a key id the set lacks, but never more than once per
 * {@code minRefetchInterval}, whatever tokens arrive: a stream of forged key ids costs one fetch per interval.
 * All state is touched from the fetch's callbacks and the callers' event loops, hence the synchronisation.
 */
public final class SigningKeys {

    /** What a fetch did, for the metric and the readiness check. */
    public enum Outcome { SUCCESS, FAILURE }

    private final String issuer;
    private final Supplier<Future<String>> fetch;
    private final Duration minRefetchInterval;
    private final Clock clock;
    private final Consumer<Outcome> fetched;

    private volatile JWKSet keys;
    private String problem = "signing keys not fetched yet";
    private Instant lastFetchStarted = Instant.MIN;
    private CompletableFuture<JWKSet> inFlight;

    /**
     * @param fetch   reads the JWKS document (the body), failing with a message that says what went wrong
     * @param fetched told of each fetch's outcome
     */
    public SigningKeys(String issuer, Supplier<Future<String>> fetch, Duration minRefetchInterval, Clock clock, Consumer<Outcome> fetched) {
        this.issuer = issuer;
        this.fetch = fetch;
        this.minRefetchInterval = minRefetchInterval;
        this.clock = clock;
        this.fetched = fetched;
    }

    /** Fetches now, unless a fetch is running; the stage completes with the set in use afterwards (or fails if there is none). */
    public synchronized CompletionStage<JWKSet> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        CompletableFuture<JWKSet> next = new CompletableFuture<>();
        inFlight = next;
        lastFetchStarted = clock.instant();
        Future<String> body;
        try {
            body = fetch.get();
        } catch (RuntimeException e) {
            body = Future.failedFuture(e);
        }
        body.onComplete(result -> {
            JWKSet settled;
            synchronized (this) {
                inFlight = null;
                if (result.succeeded()) {
                    try {
                        keys = JWKSet.parse(result.result());
                        problem = null;
                        fetched.accept(Outcome.SUCCESS);
                    } catch (java.text.ParseException e) {
                        fail("the JWKS of " + issuer + " does not parse: " + e.getMessage());
                    }
                } else {
                    fail("the JWKS of " + issuer + " could not be fetched: " + result.cause().getMessage());
                }
                settled = keys;
            }
            if (settled != null) {
                next.complete(settled);
            } else {
                next.completeExceptionally(new IllegalStateException(problem()));
            }
        });
        return next;
    }

    private void fail(String why) {
        problem = why;
        fetched.accept(Outcome.FAILURE);
        Log.errorf("toolgate identity: %s (%s)", why, keys == null ? "no keys: every token of this issuer is refused" : "the last good key set stays in use");
    }

    /**
     * The key set to verify a token naming {@code keyId} with: the current one if it holds that id (or the token names
     * none), else a fresh fetch if the last one started at least {@code minRefetchInterval} ago, else the current one.
     * Fails only when no key set was ever fetched.
     */
    public CompletionStage<JWKSet> forKeyId(String keyId) {
        JWKSet current;
        boolean refetch;
        synchronized (this) {
            current = keys;
            boolean known = current != null && (keyId == null || current.getKeyByKeyId(keyId) != null);
            refetch = !known && (inFlight != null || !clock.instant().isBefore(lastFetchStarted.plus(minRefetchInterval)));
        }
        if (refetch) {
            return refresh();
        }
        return current != null ? CompletableFuture.completedFuture(current)
                : CompletableFuture.failedFuture(new IllegalStateException(problem()));
    }

    /** True while the key set in use holds {@code keyId} (a token without key id: while there is a key set). Lock-free. */
    public boolean holds(String keyId) {
        JWKSet current = keys;
        return current != null && (keyId == null || current.getKeyByKeyId(keyId) != null);
    }

    /** Null while a key set is in use; else why there is none. */
    public synchronized String problem() {
        return keys == null ? problem : null;
    }

    /** The last fetch's failure, if the last fetch failed (a last good key set may still be in use). */
    public synchronized String lastFailure() {
        return problem;
    }

    public String issuer() {
        return issuer;
    }

    /** The ids of the keys in use, for the readiness check's data. */
    public synchronized java.util.List<String> keyIds() {
        return keys == null ? java.util.List.of() : keys.getKeys().stream().map(JWK::getKeyID).map(String::valueOf).toList();
    }
}
