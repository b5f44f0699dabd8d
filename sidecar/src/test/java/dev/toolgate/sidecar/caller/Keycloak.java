package dev.toolgate.sidecar.caller;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A real Keycloak (the one scripts/oidc-provider.sh installs), in dev mode with an in-memory database, on free loopback
 * ports, with the realm {@code toolgate} imported from {@code keycloak/toolgate-realm.json}: a confidential client
 * {@code agent-a} whose client-credentials tokens carry the audience {@code toolgate-mcp}. Its admin API rotates keys.
 */
final class Keycloak implements AutoCloseable {

    static final String REALM = "toolgate";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final Path log;
    final String base;

    private Keycloak(Process process, Path log, String base) {
        this.process = process;
        this.log = log;
        this.base = base;
    }

    static Keycloak start() throws Exception {
        Path home = Path.of(require("keycloak.home"));
        Path javaHome = Path.of(require("keycloak.java-home"));
        if (!Files.isExecutable(home.resolve("bin/kc.sh")) || !Files.isExecutable(javaHome.resolve("bin/java"))) {
            throw new IllegalStateException("Keycloak or its JDK is missing under " + home + " / " + javaHome + ": run scripts/oidc-provider.sh");
        }
        Path imports = Files.createDirectories(home.resolve("data/import"));
        try (InputStream realm = Keycloak.class.getResourceAsStream("/keycloak/toolgate-realm.json")) {
            Files.copy(realm, imports.resolve("toolgate-realm.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        int port = freePort();
        Path log = Files.createTempFile("keycloak-", ".log");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev", "--db=dev-mem",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + freePort(), "--import-realm")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", javaHome.toString());
        builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin");
        Keycloak keycloak = new Keycloak(builder.start(), log, "http://127.0.0.1:" + port);
        Instant deadline = Instant.now().plus(Duration.ofMinutes(4));
        while (true) {
            if (!keycloak.process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + keycloak.process.exitValue() + ":\n" + keycloak.logTail());
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(keycloak.issuer() + "/.well-known/openid-configuration")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return keycloak;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (Instant.now().isAfter(deadline)) {
                keycloak.close();
                throw new IllegalStateException("Keycloak did not serve its realm within 4 minutes:\n" + keycloak.logTail());
            }
            Thread.sleep(500);
        }
    }

    String issuer() {
        return base + "/realms/" + REALM;
    }

    /** A client-credentials access token of {@code agent-a}. */
    String token() throws Exception {
        JsonObject answer = form(issuer() + "/protocol/openid-connect/token",
                Map.of("grant_type", "client_credentials", "client_id", "agent-a", "client_secret", "agent-a-secret"), null);
        return answer.getString("access_token");
    }

    /** Adds an RSA signing key above the others (new tokens are signed with it); returns its component id. */
    String addSigningKey(int priority) throws Exception {
        String realmId = admin("GET", "/admin/realms/" + REALM, null).getString("id");
        JsonObject component = new JsonObject().put("name", "rsa-" + priority).put("providerId", "rsa-generated")
                .put("providerType", "org.keycloak.keys.KeyProvider").put("parentId", realmId)
                .put("config", new JsonObject().put("priority", new JsonArray().add(Integer.toString(priority)))
                        .put("keySize", new JsonArray().add("2048")).put("active", new JsonArray().add("true")).put("enabled", new JsonArray().add("true")));
        admin("POST", "/admin/realms/" + REALM + "/components", component);
        return signingKeyComponents().stream().filter(c -> c.getString("name").equals("rsa-" + priority)).findFirst().orElseThrow().getString("id");
    }

    /** The RSA signing key providers of the realm. */
    java.util.List<JsonObject> signingKeyComponents() throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/admin/realms/" + REALM
                + "/components?type=org.keycloak.keys.KeyProvider")).header("Authorization", "Bearer " + adminToken()).build(), HttpResponse.BodyHandlers.ofString());
        return new JsonArray(response.body()).stream().map(JsonObject.class::cast).filter(c -> c.getString("providerId").equals("rsa-generated")).toList();
    }

    void removeKey(String componentId) throws Exception {
        admin("DELETE", "/admin/realms/" + REALM + "/components/" + componentId, null);
    }

    private String adminToken() throws Exception {
        return form(base + "/realms/master/protocol/openid-connect/token",
                Map.of("grant_type", "password", "client_id", "admin-cli", "username", "admin", "password", "admin"), null).getString("access_token");
    }

    private JsonObject admin(String method, String path, JsonObject body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + adminToken())
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body().isBlank() ? new JsonObject() : new JsonObject(response.body());
    }

    private static JsonObject form(String url, Map<String, String> fields, String bearer) throws Exception {
        String body = fields.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return new JsonObject(response.body());
    }

    String logTail() {
        try {
            String all = Files.readString(log);
            return all.length() > 4000 ? all.substring(all.length() - 4000) : all;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static String require(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set (the sidecar pom passes it; scripts/oidc-provider.sh installs Keycloak)");
        }
        return value;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
