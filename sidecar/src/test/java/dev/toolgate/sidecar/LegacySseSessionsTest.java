package dev.toolgate.sidecar;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LegacySseSessionsTest {
    @Test
    void endpointKeyIsPathAndQuery() {
        assertThat(LegacySseSessions.endpointKey("/message?sessionId=abc")).isEqualTo("/message?sessionId=abc");
        assertThat(LegacySseSessions.endpointKey("http://127.0.0.1:3001/message?sessionId=abc")).isEqualTo("/message?sessionId=abc");
        assertThat(LegacySseSessions.endpointKey("/messages")).isEqualTo("/messages");
    }
}
