package dev.toolgate.operator.injection;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.Identity;
import dev.toolgate.operator.mcppolicy.JwtIdentity;
import dev.toolgate.operator.mcppolicy.ServiceAccountIdentity;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;

/**
 * {@code spec.identity} as the sidecar reads it: environment variables in SmallRye's form of
 * {@code toolgate.identity.*} (lists comma-separated; only what the spec sets), and the volumes a verified source needs.
 * Pure.
 *
 * <p>A service-account source gets its own projected token volume mounted at the standard path in the sidecar only: the
 * sidecar reads the cluster's JWKS with it, and the webhook runs after the API server's service-account admission, so
 * the sidecar would otherwise get no token (nor one where the pod sets {@code automountServiceAccountToken: false}).
 */
public final class SidecarIdentity {

    /** Projected token lifetime; the kubelet refreshes it at 80%. */
    static final long TOKEN_EXPIRATION_SECONDS = 3607;

    private SidecarIdentity() {
    }

    public static List<EnvVar> env(Identity identity) {
        List<EnvVar> env = new ArrayList<>();
        if (identity == null) {
            return env;
        }
        put(env, "TOOLGATE_IDENTITY_HEADER", identity.getHeader());
        JwtIdentity jwt = identity.getJwt();
        if (jwt != null) {
            put(env, "TOOLGATE_IDENTITY_JWT_ISSUER", jwt.getIssuer());
            put(env, "TOOLGATE_IDENTITY_JWT_AUDIENCES", list(jwt.getAudiences()));
            put(env, "TOOLGATE_IDENTITY_JWT_JWKS_URL", jwt.getJwksUrl());
            put(env, "TOOLGATE_IDENTITY_JWT_SUBJECT_CLAIM", jwt.getSubjectClaim());
            put(env, "TOOLGATE_IDENTITY_JWT_GROUPS_CLAIM", jwt.getGroupsClaim());
            if (jwt.getAlgorithms() != null) {
                put(env, "TOOLGATE_IDENTITY_JWT_ALGORITHMS", list(jwt.getAlgorithms().stream()
                        .map(a -> a == JwtIdentity.Algorithm.EDDSA ? "EdDSA" : a.name()).toList()));
            }
            put(env, "TOOLGATE_IDENTITY_JWT_CLOCK_SKEW", jwt.getClockSkew());
            if (jwt.getCaConfigMap() != null) {
                put(env, "TOOLGATE_IDENTITY_JWT_CA_FILE", ToolgateNames.JWT_CA_MOUNT_PATH + "/" + ToolgateNames.JWT_CA_KEY);
            }
        }
        ServiceAccountIdentity serviceAccount = identity.getServiceAccount();
        if (serviceAccount != null) {
            put(env, "TOOLGATE_IDENTITY_SERVICE_ACCOUNT_AUDIENCES", list(serviceAccount.getAudiences()));
            put(env, "TOOLGATE_IDENTITY_SERVICE_ACCOUNT_ISSUER", serviceAccount.getIssuer());
            put(env, "TOOLGATE_IDENTITY_SERVICE_ACCOUNT_JWKS_URL", serviceAccount.getJwksUrl());
        }
        put(env, "TOOLGATE_IDENTITY_FORWARD_HEADER", identity.getForwardHeader());
        if (identity.getForwardAuthorization() != null) {
            put(env, "TOOLGATE_IDENTITY_FORWARD_AUTHORIZATION", identity.getForwardAuthorization().toString().toLowerCase(Locale.ROOT));
        }
        return env;
    }

    /** Pod volumes for the verified sources; empty for a header or no identity. */
    public static List<Volume> volumes(Identity identity) {
        List<Volume> volumes = new ArrayList<>();
        if (identity == null) {
            return volumes;
        }
        if (identity.getServiceAccount() != null) {
            volumes.add(new VolumeBuilder().withName(ToolgateNames.SERVICE_ACCOUNT_TOKEN_VOLUME).withNewProjected()
                    .addNewSource().withNewServiceAccountToken().withPath("token").withExpirationSeconds(TOKEN_EXPIRATION_SECONDS)
                    .endServiceAccountToken().endSource()
                    .addNewSource().withNewConfigMap().withName("kube-root-ca.crt").addNewItem().withKey("ca.crt").withPath("ca.crt")
                    .endItem().endConfigMap().endSource()
                    .addNewSource().withNewDownwardAPI().addNewItem().withPath("namespace").withNewFieldRef().withApiVersion("v1")
                    .withFieldPath("metadata.namespace").endFieldRef().endItem().endDownwardAPI().endSource()
                    .endProjected().build());
        }
        if (identity.getJwt() != null && identity.getJwt().getCaConfigMap() != null) {
            volumes.add(new VolumeBuilder().withName(ToolgateNames.JWT_CA_VOLUME).withNewConfigMap()
                    .withName(identity.getJwt().getCaConfigMap()).addNewItem().withKey(ToolgateNames.JWT_CA_KEY)
                    .withPath(ToolgateNames.JWT_CA_KEY).endItem().endConfigMap().build());
        }
        return volumes;
    }

    /** The sidecar's mounts of {@link #volumes}, read-only. */
    public static List<VolumeMount> mounts(Identity identity) {
        List<VolumeMount> mounts = new ArrayList<>();
        for (Volume volume : volumes(identity)) {
            String path = volume.getName().equals(ToolgateNames.SERVICE_ACCOUNT_TOKEN_VOLUME)
                    ? ToolgateNames.SERVICE_ACCOUNT_TOKEN_MOUNT_PATH : ToolgateNames.JWT_CA_MOUNT_PATH;
            mounts.add(new VolumeMountBuilder().withName(volume.getName()).withMountPath(path).withReadOnly(true).build());
        }
        return mounts;
    }

    private static void put(List<EnvVar> env, String name, String value) {
        if (value != null) {
            env.add(new EnvVar(name, value, null));
        }
    }

    private static String list(List<String> values) {
        return values == null ? null : String.join(",", values);
    }
}
