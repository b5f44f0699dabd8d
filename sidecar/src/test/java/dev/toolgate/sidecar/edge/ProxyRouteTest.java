package dev.toolgate.sidecar.edge;

import dev.toolgate.sidecar.caller.BearerChallenge;
import dev.toolgate.sidecar.caller.Resolution;

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
    void theBearerChallengeKeepsToWhatRfc6750AllowsInADescription() {
        // RFC 6750 §3: error_description holds %x20-21 / %x23-5B / %x5D-7E, so '"' and '\' cannot even be escaped.
        assertThat(BearerChallenge.header(new Resolution.Unauthenticated(null, "ignored without an error code"), null)).isEqualTo("Bearer");
        assertThat(BearerChallenge.header(new Resolution.Unauthenticated("invalid_token", "the token expired"), null))
                .isEqualTo("Bearer error=\"invalid_token\", error_description=\"the token expired\"");
        assertThat(BearerChallenge.header(new Resolution.Unauthenticated("invalid_token", "iss \"evil\"\r\nX-Injected: 1 \\ é"), null))
                .isEqualTo("Bearer error=\"invalid_token\", error_description=\"iss ?evil???X-Injected: 1 ? ?\"");
    }
}
