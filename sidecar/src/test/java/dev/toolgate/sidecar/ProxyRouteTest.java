package dev.toolgate.sidecar;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyRouteTest {
    @Test
    void charsetParameterIsFound() {
        assertThat(ProxyRoute.charsetOf("application/json")).isNull();
        assertThat(ProxyRoute.charsetOf("application/json; charset=UTF-8")).isEqualTo("utf-8");
        assertThat(ProxyRoute.charsetOf("application/json;Charset=\"utf-16\"")).isEqualTo("utf-16");
    }

    @Test
    void failureKinds() {
        assertThat(UpstreamForwarder.failureKind(new java.net.ConnectException("Connection refused"))).isEqualTo("connect");
        assertThat(UpstreamForwarder.failureKind(new java.util.concurrent.TimeoutException("idle"))).isEqualTo("timeout");
        assertThat(UpstreamForwarder.failureKind(new IllegalStateException("Connection was closed"))).isEqualTo("reset");
    }
}
