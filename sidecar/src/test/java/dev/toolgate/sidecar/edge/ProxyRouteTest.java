package dev.toolgate.sidecar.edge;

import dev.toolgate.sidecar.caller.Resolution;
import dev.toolgate.sidecar.upstream.UpstreamForwarder;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyRouteTest {
    @Test
    void charsetParameterIsFound() throws MediaType.Malformed {
        assertThat(MediaType.parse("application/json").parameters()).isEmpty();
        assertThat(MediaType.parse("application/json; charset=UTF-8").parameters()).containsExactly(new MediaType.Parameter("charset", "UTF-8"));
        assertThat(MediaType.parse("application/json;Charset=\"utf-16\"").parameters()).containsExactly(new MediaType.Parameter("charset", "utf-16"));
    }

    @Test
    void failureKinds() {
        assertThat(UpstreamForwarder.failureKind(new java.net.ConnectException("Connection refused"))).isEqualTo("connect");
        assertThat(UpstreamForwarder.failureKind(new java.util.concurrent.TimeoutException("idle"))).isEqualTo("timeout");
        assertThat(UpstreamForwarder.failureKind(new IllegalStateException("Connection was closed"))).isEqualTo("reset");
    }

    @Test
    void theBearerChallengeQuotesAndEscapesAndKeepsToPrintableAscii() {
        assertThat(ProxyRoute.challenge(new Resolution.Unauthenticated(null, "ignored without an error code"))).isEqualTo("Bearer");
        assertThat(ProxyRoute.challenge(new Resolution.Unauthenticated("invalid_token", "the token expired")))
                .isEqualTo("Bearer error=\"invalid_token\", error_description=\"the token expired\"");
        assertThat(ProxyRoute.challenge(new Resolution.Unauthenticated("invalid_token", "iss \"evil\"\r\nX-Injected: 1 \\ é")))
                .isEqualTo("Bearer error=\"invalid_token\", error_description=\"iss \\\"evil\\\"??X-Injected: 1 \\\\ ?\"");
    }
}
