package dev.toolgate.operator.injection;

import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import dev.toolgate.operator.OperatorConfig;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.approval.ApprovalAdmission;
import dev.toolgate.operator.approval.ApprovalException;
import dev.toolgate.operator.approval.ApprovalRecorder;
import dev.toolgate.operator.approval.ApprovalService;
import dev.toolgate.operator.approval.SidecarAuthenticator;
import dev.toolgate.operator.tls.WebhookTls;
import dev.toolgate.operator.tls.WebhookTlsMaterial;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SSLOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The HTTPS endpoint the API server calls for Pod admission. It runs its own Vert.x server (not Quarkus's HTTP
 * server) because its certificate is issued at runtime and swapped on rotation without a restart.
 */
@ApplicationScoped
public class WebhookServer {

    private static final Logger LOG = Logger.getLogger(WebhookServer.class);
    /** AdmissionReviews carry whole pods; anything larger than this is not a pod we want to parse. */
    static final int MAX_BODY_BYTES = 3 * 1024 * 1024;
    /** fabric8's serialization resolves the embedded object (apiVersion/kind) to a typed Pod. */
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private final Vertx vertx;
    private final OperatorConfig config;
    private final WebhookTls tls;
    private final PolicyResolver resolver;
    private final KubernetesClient client;
    private final MeterRegistry meters;
    private HttpServer server;
    private volatile WebhookTlsMaterial material;
    private long rotationTimer = -1;
    private AdmissionHandler handler;
    private dev.toolgate.operator.mcppolicy.PolicyAdmission policyAdmission;
    private volatile String unusableCertificate;
    private ApprovalAdmission approvalAdmission;
    private ApprovalService approvals;
    private final ApprovalRecorder recorder;

    public WebhookServer(Vertx vertx, OperatorConfig config, WebhookTls tls, PolicyResolver resolver, KubernetesClient client,
            MeterRegistry meters, ApprovalRecorder recorder) {
        this.recorder = recorder;
        this.vertx = vertx;
        this.config = config;
        this.tls = tls;
        this.resolver = resolver;
        this.client = client;
        this.meters = meters;
    }

    void start(@Observes StartupEvent event) throws Exception {
        if (!config.webhook().enabled()) {
            LOG.info("Injection webhook disabled");
            return;
        }
        boolean certManager = tls.certManagerMode();
        resolver.start();
        VersionInfo version = client.getKubernetesVersion();
        String approvalsUrl = config.approvals().url().filter(u -> !u.isBlank())
                .orElse("https://" + config.webhook().serviceName() + "." + config.namespace() + ".svc:443");
        SidecarSettings settings = SidecarSettings.from(config.sidecar(),
                SidecarSettings.supportsNativeSidecars(version.getMajor(), version.getMinor()), approvalsUrl);
        LOG.infof("Kubernetes %s.%s: injecting the sidecar as a %s", version.getMajor(), version.getMinor(),
                settings.nativeSidecar() ? "native sidecar (init container, restartPolicy Always)" : "regular container");
        handler = new AdmissionHandler(resolver::policiesIn, () -> settings, meters);
        policyAdmission = new dev.toolgate.operator.mcppolicy.PolicyAdmission(meters);
        java.time.Clock clock = java.time.Clock.systemUTC();
        approvalAdmission = new ApprovalAdmission("system:serviceaccount:" + config.namespace() + ":" + config.approvals().serviceAccount(), clock);
        approvals = new ApprovalService(client, new SidecarAuthenticator(client, clock), recorder, clock,
                new dev.toolgate.operator.approval.StateKeys(client, config.namespace()));
        if (certManager) {
            // cert-manager may not have issued yet: start serving once it has, and stay unready (with the reason) until then.
            LOG.infof("Certificate mode certManager: serving the certificate in Secret %s/%s, re-read every %s", config.namespace(),
                    ToolgateNames.WEBHOOK_TLS_SECRET, config.webhook().certificateReloadInterval());
            reload();
            rotationTimer = vertx.setPeriodic(config.webhook().certificateReloadInterval().toMillis(),
                    id -> vertx.executeBlocking(() -> {
                        reload();
                        return null;
                    }, false));
        } else {
            apply(tls.ensure());
            rotationTimer = vertx.setPeriodic(config.webhook().checkInterval().toMillis(),
                    id -> vertx.executeBlocking(() -> tls.ensure(), false).onSuccess(this::apply)
                            .onFailure(e -> LOG.errorf(e, "Webhook certificate check failed")));
        }
    }

    /** The CA bundle that verifies this server's certificate (for sidecars calling the approval API); null before it serves. */
    public String caBundlePem() {
        WebhookTlsMaterial current = material;
        return current == null ? null : current.caBundlePem();
    }

    /** The port actually bound (tests configure port 0). */
    public int port() {
        return server == null ? -1 : server.actualPort();
    }

    /** Null while the webhook serves; otherwise why it does not (for the readiness check). */
    public String notServingReason() {
        if (!config.webhook().enabled()) {
            return null;
        }
        return server == null ? (unusableCertificate == null ? "the webhook server has not started" : unusableCertificate)
                : unusableCertificate;
    }

    /** certManager mode: reads the Secret and serves what it holds; remembers why not when it holds nothing usable. */
    private synchronized void reload() {
        try {
            apply(tls.ensure());
            if (unusableCertificate != null) {
                LOG.infof("Webhook certificate from Secret %s/%s is usable again", config.namespace(), ToolgateNames.WEBHOOK_TLS_SECRET);
            }
            unusableCertificate = null;
        } catch (WebhookTls.UnusableCertificateException e) {
            if (!e.getMessage().equals(unusableCertificate)) {
                LOG.warnf("Webhook not ready: %s", e.getMessage());
            }
            unusableCertificate = e.getMessage();
        } catch (RuntimeException e) {
            LOG.errorf(e, "Could not read the webhook certificate");
            unusableCertificate = "could not read Secret " + config.namespace() + "/" + ToolgateNames.WEBHOOK_TLS_SECRET + ": "
                    + e.getMessage();
        }
    }

    /** Starts the server with the material, or swaps its certificate when the material changed. */
    private synchronized void apply(WebhookTlsMaterial renewed) {
        if (server == null) {
            material = renewed;
            HttpServer created = vertx.createHttpServer(new HttpServerOptions().setPort(config.webhook().port()).setSsl(true)
                    .setKeyCertOptions(keyCert(renewed)).setMaxFormAttributeSize(0));
            created.requestHandler(this::serve);
            try {
                created.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("cannot listen on port " + config.webhook().port() + ": " + e.getMessage(), e);
            }
            server = created;
            LOG.infof("Injection webhook listening on https://0.0.0.0:%d%s", server.actualPort(), ToolgateNames.WEBHOOK_PATH);
        } else if (!renewed.equals(material)) {
            material = renewed;
            server.updateSSLOptions(new SSLOptions().setKeyCertOptions(keyCert(renewed)))
                    .onSuccess(updated -> LOG.info("Webhook serving certificate replaced"))
                    .onFailure(e -> LOG.errorf(e, "Could not replace the webhook serving certificate"));
        }
    }

    /**
     * Pod admission on {@link ToolgateNames#WEBHOOK_PATH}, McpPolicy validation on {@link ToolgateNames#POLICY_VALIDATION_PATH},
     * McpApproval admission on {@link ToolgateNames#APPROVAL_ADMISSION_PATH}, and the sidecars' approval API under
     * {@link ToolgateNames#APPROVALS_PATH}.
     */
    private void serve(HttpServerRequest request) {
        java.util.function.UnaryOperator<AdmissionReview> review;
        if (ToolgateNames.WEBHOOK_PATH.equals(request.path())) {
            review = handler::handle;
        } else if (ToolgateNames.POLICY_VALIDATION_PATH.equals(request.path())) {
            review = policyAdmission::handle;
        } else if (ToolgateNames.APPROVAL_ADMISSION_PATH.equals(request.path())) {
            review = approvalAdmission::handle;
        } else if (request.path() != null && request.path().startsWith(ToolgateNames.APPROVALS_PATH)) {
            serveApprovals(request, request.path().substring(ToolgateNames.APPROVALS_PATH.length()));
            return;
        } else {
            request.response().setStatusCode(404).end();
            return;
        }
        if (request.method() != io.vertx.core.http.HttpMethod.POST) {
            request.response().setStatusCode(405).end();
            return;
        }
        readBounded(request, MAX_BODY_BYTES, body -> vertx.executeBlocking(() -> JSON.asJson(review.apply(JSON.unmarshal(body.toString(), AdmissionReview.class))).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    false)
                    .onSuccess(answer -> request.response().putHeader("Content-Type", "application/json").end(Buffer.buffer(answer)))
                    .onFailure(e -> {
                        LOG.warnf("Bad admission request: %s", e.getMessage());
                        request.response().setStatusCode(400).end("bad AdmissionReview: " + e.getMessage());
                    }));
    }

    /** The whole body, at most {@code max} bytes (413 and the connection closed beyond), then {@code onBody}. */
    private static void readBounded(HttpServerRequest request, int max, java.util.function.Consumer<Buffer> onBody) {
        String length = request.getHeader("Content-Length");
        if (length != null && length.matches("\\d+") && Long.parseLong(length) > max) {
            request.response().setStatusCode(413).end();
            return;
        }
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (request.response().ended()) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                request.response().setStatusCode(413).end();
                request.connection().close();
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(done -> {
            if (!request.response().ended()) {
                onBody.accept(body);
            }
        });
    }

    /** The sidecars' approval API: a JSON body in, a JSON answer out; errors as {"error": ...} with their status. */
    private void serveApprovals(HttpServerRequest request, String operation) {
        if (request.method() != io.vertx.core.http.HttpMethod.POST) {
            request.response().setStatusCode(405).end();
            return;
        }
        String authorization = request.getHeader("Authorization");
        readBounded(request, MAX_APPROVAL_BODY_BYTES, body -> {
            vertx.executeBlocking(() -> approvals.handle(operation, authorization, ApprovalService.parse(body.getBytes())), false)
                    .onSuccess(answer -> answerApproval(request, 200, answer))
                    .onFailure(e -> {
                        if (e instanceof ApprovalException refused) {
                            LOG.debugf("approval API %s refused (%d): %s", operation, refused.status(), refused.getMessage());
                            answerApproval(request, refused.status(), error(refused.getMessage()));
                        } else {
                            LOG.warnf(e, "approval API %s failed", operation);
                            answerApproval(request, 503, error("the approval service could not reach the Kubernetes API: " + e.getMessage()));
                        }
                    });
        });
    }

    static final int MAX_APPROVAL_BODY_BYTES = 64 * 1024;

    private static com.fasterxml.jackson.databind.node.ObjectNode error(String message) {
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("error", message);
    }

    private static void answerApproval(HttpServerRequest request, int status, com.fasterxml.jackson.databind.JsonNode answer) {
        if (!request.response().ended()) {
            request.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(answer.toString());
        }
    }

    private static PemKeyCertOptions keyCert(WebhookTlsMaterial material) {
        return new PemKeyCertOptions().addCertValue(Buffer.buffer(material.servingCertificatePem()))
                .addKeyValue(Buffer.buffer(material.servingKeyPem()));
    }

    void stop(@Observes ShutdownEvent event) {
        if (rotationTimer >= 0) {
            vertx.cancelTimer(rotationTimer);
        }
        if (server != null) {
            server.close();
        }
    }
}
