package dev.toolgate.sidecar.caller;

import dev.toolgate.policy.Caller;
import io.vertx.core.http.HttpServerRequest;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The caller a trusted request header names ({@code toolgate.identity.header}), or {@link Caller#anonymous()} without
 * one. Nothing verifies the header: it is only as strong as whatever sets it in front of the sidecar.
 */
public final class HeaderCallerResolver implements CallerResolver {

    private final Optional<String> header;

    public HeaderCallerResolver(Optional<String> header) {
        this.header = header;
    }

    @Override
    public CompletionStage<Resolution> resolve(HttpServerRequest request) {
        return CompletableFuture.completedFuture(new Resolution.Identified(Caller.fromHeader(header.map(request::getHeader).orElse(null))));
    }
}
