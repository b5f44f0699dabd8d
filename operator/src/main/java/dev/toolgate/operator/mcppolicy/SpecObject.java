package dev.toolgate.operator.mcppolicy;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * An object of an McpPolicy's spec that keeps the fields it does not know instead of dropping them. Each subclass is
 * {@code @PreserveUnknownFields}, so its CRD schema keeps unknown fields and the API server stores a misspelt {@code actoin}
 * whatever field validation the client asked for, and {@link UnknownFields} then refuses it by its spec path, in the
 * admission webhook and in status alike. Were it pruned instead, a misspelt rule would vanish and the policy would allow
 * what it meant to deny.
 *
 * <p>The kept fields are written back only by mappers given {@link #writingUnknownFields}: the Kubernetes client's (so
 * that the operator's copies of a policy keep them) and the webhook's. The class itself has no any-getter, because the
 * CRD generator would read one as a property of the schema.
 */
public abstract class SpecObject {

    @JsonIgnore
    private final Map<String, Object> kept = new LinkedHashMap<>();

    @JsonAnySetter
    void keepUnknownField(String name, Object value) {
        kept.put(name, value);
    }

    /** What the object was given beyond its own fields ({@link UnknownFields} reads it). */
    Map<String, Object> unknownFields() {
        return kept;
    }

    /** {@code mapper}, made to write every spec object's kept fields back as they came. */
    public static ObjectMapper writingUnknownFields(ObjectMapper mapper) {
        return mapper.addMixIn(SpecObject.class, WritingUnknownFields.class);
    }

    private abstract static class WritingUnknownFields {
        @JsonAnyGetter
        abstract Map<String, Object> unknownFields();
    }

    /** The Kubernetes client's mapper, which JOSDK also uses to copy resources, keeps the fields too. */
    @Singleton
    static class ClientMapper implements KubernetesClientObjectMapperCustomizer {
        @Override
        public void customize(ObjectMapper mapper) {
            writingUnknownFields(mapper);
        }
    }
}
