package dev.toolgate.helm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** values.schema.json, enforced by the real Helm engine: bad values fail rendering with a message naming the value. */
class ValuesSchemaTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            webhook: {failurePolicy: Sometimes}                        | /webhook/failurePolicy | 'Fail', 'Ignore'
            webhook: {timeoutSeconds: 60}                              | /webhook/timeoutSeconds | 30
            webhook: {failurPolicy: Ignore}                            | /webhook | failurPolicy
            webhook: {namespaceSelector: {matchLabels: {a: 1}}}        | /webhook/namespaceSelector/matchLabels/a | string
            certificates: {mode: letsencrypt}                          | /certificates/mode | 'selfManaged', 'certManager'
            certificates: {certManager: {issuerRef: {kind: Issuer}}}   | /certificates/certManager/issuerRef | name
            certificates: {certManager: {duration: one year}}          | /certificates/certManager/duration | pattern
            operator: {logLevel: LOUD}                                 | /operator/logLevel | 'INFO'
            operator: {replicas: 0}                                    | /operator/replicas | 1
            operator: {podDisruptionBudget: {enabled: true, minAvailable: 0}} | /operator/podDisruptionBudget/minAvailable | 1
            operator: {hostNetwork: "yes"}                             | /operator/hostNetwork | boolean
            webhook: {port: 70000}                                     | /webhook/port | maximum
            webhook: {outageScope: none}                               | /webhook/outageScope | 'selectedPods', 'allPods'
            sidecar: {imagePullSecrets: [regcred]}                     | /sidecar/imagePullSecrets/0 | object
            sidecar: {imagePullSecrets: [{name: Reg_Cred}]}            | /sidecar/imagePullSecrets/0/name | pattern
            sidecar: {runAsUser: 0}                                    | /sidecar/runAsUser | 1
            operator: {image: {repository: ''}}                        | /operator/image/repository | 
            sidecar: {image: {tag: 'has space'}}                       | /sidecar/image/tag | pattern
            sidecar: {resources: {limits: {memory: lots}}}             | /sidecar/resources/limits/memory |
            sidecar: {logLevel: verbose}                               | /sidecar/logLevel | 'DEBUG'
            sidecar: {jvmProfile: tiny}                                | /sidecar/jvmProfile | 'small'
            sidecar: {tracing: {otlpEndpoint: 'collector:4317'}}       | /sidecar/tracing/otlpEndpoint | pattern
            sidecar: {tracing: {otlpProtocol: http/json}}              | /sidecar/tracing/otlpProtocol | 'grpc'
            sidecar: {counters: {backend: memcached}}                   | /sidecar/counters/backend | 'redis'
            sidecar: {counters: {redis: {url: 'redis://u:pw@r:6379'}}}  | /sidecar/counters/redis/url | pattern
            sidecar: {counters: {redis: {failMode: open}}}             | /sidecar/counters/redis/failMode | 'closed'
            metrics: {podMonitor: {enabled: yes please}}               | /metrics/podMonitor/enabled | boolean
            workloadRestarts: {enabled: "true"}                        | /workloadRestarts/enabled | boolean
            grafana: {dashboard: {enabled: true, namespace: Monitoring}} | /grafana/dashboard/namespace | pattern
            extra: true                                                | extra |
            """)
    void rejectsBadValuesNamingTheOffendingPath(String values, String path, String expected) {
        assertThatThrownBy(() -> RenderedChart.template(values).call())
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(path)
                .hasMessageContaining(expected == null ? "" : expected);
    }
}
