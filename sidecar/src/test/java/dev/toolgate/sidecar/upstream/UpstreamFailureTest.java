package dev.toolgate.sidecar.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.impl.NoStackTraceTimeoutException;

class UpstreamFailureTest {

    @Test
    void failuresAreClassifiedByTheirTypeAndCauses() {
        assertThat(UpstreamFailure.of(new ConnectException("Connection refused")).kind()).isEqualTo(UpstreamFailure.Kind.CONNECT);
        assertThat(UpstreamFailure.of(new ConnectTimeoutException("connection timed out")).kind()).isEqualTo(UpstreamFailure.Kind.CONNECT);
        assertThat(UpstreamFailure.of(new VertxException(new ConnectException("refused"))).kind()).isEqualTo(UpstreamFailure.Kind.CONNECT);
        // what Vert.x's request idle timeout fails with, and the sidecar's own idle timer
        assertThat(UpstreamFailure.of(new NoStackTraceTimeoutException("The timeout period of 50ms has been exceeded")).kind())
                .isEqualTo(UpstreamFailure.Kind.TIMEOUT);
        assertThat(UpstreamFailure.of(new TimeoutException("idle")).kind()).isEqualTo(UpstreamFailure.Kind.TIMEOUT);
        assertThat(UpstreamFailure.of(new HttpClosedException("Connection was closed")).kind()).isEqualTo(UpstreamFailure.Kind.RESET);
    }

    @Test
    void aMessageThatMerelySaysTimeoutDoesNotMakeATimeout() {
        UpstreamFailure failure = UpstreamFailure.of(new IllegalStateException("server said: timeout while reading"));
        assertThat(failure.kind()).isEqualTo(UpstreamFailure.Kind.RESET);
        assertThat(failure.httpStatus()).isEqualTo(502);
        assertThat(failure.detail()).isEqualTo("server said: timeout while reading");
    }

    @Test
    void aTimeoutIsA504AndEverythingElseA502() {
        assertThat(UpstreamFailure.of(new TimeoutException("idle")).httpStatus()).isEqualTo(504);
        assertThat(UpstreamFailure.of(new ConnectException("refused")).httpStatus()).isEqualTo(502);
        assertThat(UpstreamFailure.of(new TimeoutException("idle")).kind().label()).isEqualTo("timeout");
    }
}
