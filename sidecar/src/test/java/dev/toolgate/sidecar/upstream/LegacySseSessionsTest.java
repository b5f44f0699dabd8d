package dev.toolgate.sidecar.upstream;

import dev.toolgate.sidecar.upstream.QueryParameters;

import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LegacySseSessionsTest {
    private static final String S = "2f0c3a1e-4b5d-4e6f-8a9b-0c1d2e3f4a5b";

    @Test
    void endpointKeyIsPathAndQuery() {
        assertThat(LegacySseSessions.endpointKey("/message?sessionId=abc")).isEqualTo("/message?sessionId=abc");
        assertThat(LegacySseSessions.endpointKey("http://127.0.0.1:3001/message?sessionId=abc")).isEqualTo("/message?sessionId=abc");
        assertThat(LegacySseSessions.endpointKey("/messages")).isEqualTo("/messages");
        assertThat(LegacySseSessions.endpointKey("/sse", " message?sessionId=abc ")).isEqualTo("/message?sessionId=abc");
        assertThat(LegacySseSessions.endpointKey("/a/sse", "../m?sessionId=abc")).isEqualTo("/m?sessionId=abc");
        assertThat(LegacySseSessions.endpointKey("/sse", "/bad path?x")).isNull();
    }

    private static LegacySseSessions.Stream stream() {
        return new LegacySseSessions.Stream(null, null);
    }

    private static LegacySseSessions.Route route(LegacySseSessions sessions, HttpMethod method, String target) {
        int q = target.indexOf('?');
        return sessions.route(method, q < 0 ? target : target.substring(0, q), q < 0 ? null : target.substring(q + 1));
    }

    private static int refusedStatus(LegacySseSessions sessions, HttpMethod method, String target) {
        LegacySseSessions.Route route = route(sessions, method, target);
        assertThat(route).as(method + " " + target).isInstanceOf(LegacySseSessions.Refused.class);
        return ((LegacySseSessions.Refused) route).status();
    }

    @Test
    void theExactEndpointIsTheServersSession() {
        LegacySseSessions sessions = new LegacySseSessions();
        LegacySseSessions.Stream stream = stream();
        sessions.register("/message?sessionId=" + S, stream);
        assertThat(route(sessions, HttpMethod.POST, "/message?sessionId=" + S)).isEqualTo(new LegacySseSessions.Legacy(stream, S));
        sessions.unregister("/message?sessionId=" + S, stream);
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/message?sessionId=" + S)).isEqualTo(404);
    }

    @Test
    void everyOtherSpellingThatReachesTheSessionIsRefused() {
        LegacySseSessions sessions = new LegacySseSessions();
        sessions.register("/message?sessionId=" + S, stream());
        String encodedValue = S.replace("2f", "%32%66");
        for (String variant : List.of("/message?sessionId=" + S + "&x=1", "/message?x=1&sessionId=" + S, "/message/?sessionId=" + S,
                "/Message?sessionId=" + S, "/MESSAGE/?sessionId=" + S, "/message?%73essionId=" + S, "/message?sessionId=" + encodedValue,
                "/message?sessionId=" + S + "&sessionId=" + S, "/message?sessionId=" + S + ";x=1", "//message?sessionId=" + S,
                "/./message?sessionId=" + S, "/x/../message?sessionId=" + S, "/m%65ssage?sessionId=" + S, "/message;a=b?sessionId=" + S,
                "/message%2F?sessionId=" + S, "/message?sessionId=" + S.toUpperCase(), "/message?session_id=" + S,
                "/mcp?sessionId=" + S, "/message?sessionId=" + S + "+", "/message?SESSIONID=" + S)) {
            assertThat(refusedStatus(sessions, HttpMethod.POST, variant)).as(variant).isIn(400, 404);
            // any method: a server could route it to its message handler, and the session exists
            if (!variant.endsWith("+") && !variant.contains("%32%66")) {
                assertThat(route(sessions, HttpMethod.PUT, variant)).as("PUT " + variant).isInstanceOf(LegacySseSessions.Refused.class);
            }
        }
    }

    @Test
    void unknownSessionsAndEndpointPathsWithOtherQueriesAreRefusedForPosts() {
        LegacySseSessions sessions = new LegacySseSessions();
        sessions.register("/message?sessionId=" + S, stream());
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/message?sessionId=unknown")).isEqualTo(404);
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/anywhere?sessionId=unknown")).isEqualTo(404);
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/message?sessionId=a&sessionId=b")).isEqualTo(400);
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/Message/?x=1")).isEqualTo(400);
        // not a legacy message for any server: no session parameter, and the endpoint path without a query names no session
        assertThat(route(sessions, HttpMethod.POST, "/message")).isEqualTo(LegacySseSessions.NotLegacy.INSTANCE);
        // other methods with an unknown session: no session is reached, decided like any request
        assertThat(route(sessions, HttpMethod.PUT, "/message?sessionId=abc")).isEqualTo(LegacySseSessions.NotLegacy.INSTANCE);
    }

    @Test
    void streamableHttpRequestsAreNotLegacy() {
        LegacySseSessions sessions = new LegacySseSessions();
        sessions.register("/message?sessionId=" + S, stream());
        for (String target : List.of("/mcp", "/mcp?tenant=a", "/", "/messages?x=1", "/sse")) {
            assertThat(route(sessions, HttpMethod.POST, target)).as(target).isEqualTo(LegacySseSessions.NotLegacy.INSTANCE);
        }
        assertThat(route(sessions, HttpMethod.GET, "/sse")).isEqualTo(LegacySseSessions.NotLegacy.INSTANCE);
        assertThat(route(new LegacySseSessions(), HttpMethod.POST, "/mcp")).isEqualTo(LegacySseSessions.NotLegacy.INSTANCE);
    }

    @Test
    void pythonStyleAndSessionInPathEndpoints() {
        LegacySseSessions sessions = new LegacySseSessions();
        LegacySseSessions.Stream python = stream();
        sessions.register("/messages/?session_id=deadbeef", python);
        assertThat(route(sessions, HttpMethod.POST, "/messages/?session_id=deadbeef")).isEqualTo(new LegacySseSessions.Legacy(python, "deadbeef"));
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/messages?session_id=deadbeef")).isEqualTo(400);
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/messages/?session%5Fid=deadbeef")).isEqualTo(400);

        LegacySseSessions.Stream inPath = stream();
        sessions.register("/rpc/abc123", inPath);
        assertThat(route(sessions, HttpMethod.POST, "/rpc/abc123")).isEqualTo(new LegacySseSessions.Legacy(inPath, "/rpc/abc123"));
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/rpc/abc123/")).isEqualTo(400);
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/RPC/abc123")).isEqualTo(400);
        assertThat(route(sessions, HttpMethod.PUT, "/rpc/ABC123")).isInstanceOf(LegacySseSessions.Refused.class);
    }

    @Test
    void aServersOwnSessionParameterNameIsLearnt() {
        LegacySseSessions sessions = new LegacySseSessions();
        LegacySseSessions.Stream stream = stream();
        sessions.register("/msg?sid=xyz", stream);
        assertThat(route(sessions, HttpMethod.POST, "/msg?sid=xyz")).isEqualTo(new LegacySseSessions.Legacy(stream, "xyz"));
        assertThat(refusedStatus(sessions, HttpMethod.POST, "/other?SID=xyz")).isEqualTo(400);
    }

    @Test
    void pathsNormaliseToWhatAnyRouterCouldMatch() {
        for (String path : List.of("/message", "/message/", "//message", "/./message", "/x/../message", "/m%65ssage", "%2Fmessage",
                "/message;a=b", "/MESSAGE/", "/message;jsessionid=1/")) {
            assertThat(LegacySseSessions.normalisePath(path)).as(path).isEqualTo("/message");
        }
        assertThat(LegacySseSessions.normalisePath("/a%2Fb")).isEqualTo("/a/b");
        assertThat(LegacySseSessions.normalisePath("/")).isEqualTo("/");
    }

    @Test
    void queriesDecodeAsLenientServersDecodeThem() {
        assertThat(QueryParameters.decodeLeniently("%73essionId=%53&b=x+y;c&=v")).containsExactly(
                new QueryParameters.Parameter("sessionId", "S"), new QueryParameters.Parameter("b", "x y"),
                new QueryParameters.Parameter("c", ""), new QueryParameters.Parameter("", "v"));
        assertThat(QueryParameters.decodeLeniently("a=%E2%82%AC%zz%4")).containsExactly(new QueryParameters.Parameter("a", "€%zz%4"));
        assertThat(QueryParameters.decodeLeniently(null)).isEmpty();
    }
}
