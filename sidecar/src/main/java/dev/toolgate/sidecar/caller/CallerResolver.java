package dev.toolgate.sidecar.caller;

import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.CompletionStage;

/**
 * The walk's second step: who sends a request. Runs on the request's event loop after the body is parsed and before
 * anything is decided; it must not block (a key fetch, if any, is asynchronous).
 */
public interface CallerResolver {

    /**
     * The request's caller, or why it has none that may pass. Completes normally in both cases; a stage that completes
     * exceptionally is treated as an internal fault and nothing is forwarded.
     */
    CompletionStage<Resolution> resolve(HttpServerRequest request);

    /**
     * Request headers this resolver reads as credentials or identity claims: the forwarder removes them before the
     * request reaches the MCP server, unless a setting says to pass them on.
     */
    default java.util.Set<String> consumedHeaders() {
        return java.util.Set.of();
    }
}
