package dev.toolgate.operator.mcppolicy;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The failures of a Redis check as condition reasons, each message naming the Redis and quoting the failure's words. */
class CounterStoreCheckTest {

    static final String WHERE = "Redis redis://r:6379";

    @Test
    void eachFailureHasItsReason() {
        assertThat(CounterStoreCheck.failed(WHERE, new IllegalStateException("WRONGPASS invalid username-password pair")))
                .isEqualTo(new CounterStoreCheck.Result(false, "AuthenticationFailed",
                        WHERE + " refused the password (WRONGPASS invalid username-password pair)"));
        assertThat(CounterStoreCheck.failed(WHERE, new IllegalStateException("NOAUTH Authentication required.")).reason())
                .isEqualTo("AuthenticationFailed");
        assertThat(CounterStoreCheck.failed(WHERE, new ConnectException("Connection refused")))
                .isEqualTo(new CounterStoreCheck.Result(false, "Unreachable", WHERE + " cannot be reached (Connection refused)"));
        assertThat(CounterStoreCheck.failed(WHERE, new TimeoutException("no answer")).message())
                .isEqualTo(WHERE + " did not answer within 3000 ms");
        // a handshake failure wrapped by the client still counts as TLS
        assertThat(CounterStoreCheck.failed(WHERE, new RuntimeException("failed", new SSLHandshakeException("PKIX path building failed"))))
                .isEqualTo(new CounterStoreCheck.Result(false, "TlsFailed", WHERE + ": the TLS handshake failed (PKIX path building failed)"));
        assertThat(CounterStoreCheck.failed(WHERE, new IllegalStateException("ERR unknown command")).reason()).isEqualTo("RedisError");
    }

    @Test
    void aLongFailureMessageIsCut() {
        String message = CounterStoreCheck.failed(WHERE, new IllegalStateException("ERR " + "x".repeat(500))).message();
        assertThat(message).hasSizeLessThan(WHERE.length() + 260).endsWith("…)");
    }

    @Test
    void aReplyEchoingThePasswordIsMasked() {
        CounterStoreCheck.Result echoed = CounterStoreCheck.failed(WHERE, new IllegalStateException("ERR unknown user hunter2-secret"));
        assertThat(CounterStoreCheck.masked(echoed, java.util.Optional.of("hunter2-secret")).message())
                .isEqualTo(WHERE + " answered with an error (ERR unknown user (password))");
        assertThat(CounterStoreCheck.masked(echoed, java.util.Optional.empty())).isEqualTo(echoed);
    }
}
