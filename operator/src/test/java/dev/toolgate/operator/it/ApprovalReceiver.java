package dev.toolgate.operator.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * What a team points {@code toolgate.operator.approvals.notify-url} at (a Slack or Alertmanager webhook receiver): an
 * HTTP endpoint on 127.0.0.1 that keeps every JSON body POSTed to it. Also sets a short approval retention.
 */
public class ApprovalReceiver implements QuarkusTestResourceLifecycleManager {

    static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/hooks/approvals", exchange -> {
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if ("POST".equals(exchange.getRequestMethod()) && "application/json".equals(contentType)) {
                RECEIVED.add(body);
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        return Map.of("toolgate.operator.approvals.notify-url",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/approvals",
                // short, so the IT sees final approvals deleted; long enough for every test to read its own
                "toolgate.operator.approvals.retention", ApprovalIT.RETENTION.toString());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
