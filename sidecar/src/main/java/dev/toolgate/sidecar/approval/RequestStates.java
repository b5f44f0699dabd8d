package dev.toolgate.sidecar.approval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.sidecar.SidecarConfig;
import io.quarkus.logging.Log;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * Seals and opens the {@code requestState} of elicit mode: {@code tg1.<base64url payload>.<base64url HMAC-SHA256>}.
 * The payload says who asked (caller subject and how it was verified), for which tool and arguments (their canonical
 * digest), under which policy, which McpApproval it waits for, until when, and a random nonce. The client holds it
 * between the two rounds and can read it (it holds nothing secret) but not change it: the MAC is over everything before
 * the last dot, under a key the client never sees. A state opens once ({@link #open}): its nonce is remembered until
 * the state expires, in a set bounded by {@code toolgate.approvals.used-states-max} (when full, the entry that expires
 * soonest goes first).
 *
 * <p>The key is {@code toolgate.approvals.state-key-file} (at least 32 bytes; a trailing newline is not part of it),
 * read once at start. Without it the sidecar starts with a random key of its own and adopts its policy's key from the
 * operator as soon as the operator hands it out ({@link StateKeyFetch}): the same for every replica of the MCP server
 * and across restarts, so a state sealed by one replica opens on another. States sealed with the random key before
 * that still open here. Used nonces are remembered per process: a state replayed to another replica opens there once
 * more, which gains nothing (the call runs only by consuming a use of its approval, atomically, in the operator).
 */
@Singleton
public class RequestStates {

    /** What every state this sidecar seals starts with; a {@code requestState} without it is the MCP server's own. */
    public static final String PREFIX = "tg1.";
    private static final int MIN_KEY_BYTES = 32;
    private static final int MAX_STATE_CHARS = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a state is bound to: the call it was issued for, and the approval that call waits for. */
    public record Binding(String subject, String source, String tool, String argumentsSha256, String policyHash, String approval,
                          String namespace) {
    }

    /** A state that opened: what it was bound to, until when it counted, its nonce. */
    public record Opened(Binding binding, long expiresAtMillis, String nonce) {
    }

    /** A state that does not open for this call; {@link #getMessage()} says why, for the client. */
    public static final class Refused extends Exception {
        public Refused(String why) {
            super(why);
        }
    }

    private record Used(long expiresAtMillis, String nonce) {
    }

    private volatile byte[] key;
    /** The key used before the operator's was adopted; states it sealed still open. Null until then. */
    private volatile byte[] earlier;
    private final boolean keyFromFile;
    private final int maxUsed;
    private final LongSupplier clock;
    private final Map<String, Long> used = new HashMap<>();
    private final PriorityQueue<Used> byExpiry = new PriorityQueue<>((a, b) -> Long.compare(a.expiresAtMillis(), b.expiresAtMillis()));

    @Inject
    public RequestStates(SidecarConfig config) {
        this(key(config.approvals().stateKeyFile().orElse(null)), config.approvals().stateKeyFile().filter(f -> !f.isBlank()).isPresent(),
                config.approvals().usedStatesMax(), System::currentTimeMillis);
    }

    public RequestStates(byte[] key, int maxUsed, LongSupplier clock) {
        this(key, true, maxUsed, clock);
    }

    private RequestStates(byte[] key, boolean keyFromFile, int maxUsed, LongSupplier clock) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the requestState key must have at least " + MIN_KEY_BYTES + " bytes, got " + key.length);
        }
        this.key = key.clone();
        this.keyFromFile = keyFromFile;
        this.maxUsed = Math.max(1, maxUsed);
        this.clock = clock;
    }

    /** A sidecar without {@code state-key-file}, sealing with a key of its own: it should adopt the operator's. */
    public static RequestStates withOwnKey(int maxUsed, LongSupplier clock) {
        return new RequestStates(randomKey(), false, maxUsed, clock);
    }

    /** True until a shared key is in use: no key file was given and none was adopted yet. */
    public boolean wantsSharedKey() {
        return !keyFromFile && earlier == null;
    }

    /**
     * Seals with {@code shared} (the policy's key from the operator) from now on; states sealed with the key before still
     * open. Ignored with a key file (the operator's setting wins) or once a shared key is in use.
     */
    public synchronized void adopt(byte[] shared) {
        if (!wantsSharedKey()) {
            return;
        }
        if (shared.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the operator's state key has " + shared.length + " bytes; at least " + MIN_KEY_BYTES
                    + " are needed");
        }
        earlier = key;
        key = shared.clone();
    }

    /** A fresh random key, for a sidecar without {@code state-key-file}. */
    public static byte[] randomKey() {
        byte[] key = new byte[MIN_KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    private static byte[] key(String file) {
        if (file == null || file.isBlank()) {
            Log.debug("toolgate approvals: no state-key-file set; elicit mode seals requestState with a random key of this process "
                    + "until it has its policy's key from the operator");
            return randomKey();
        }
        try {
            byte[] bytes = Files.readAllBytes(Path.of(file));
            int end = bytes.length;
            while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
                end--;
            }
            byte[] key = java.util.Arrays.copyOf(bytes, end);
            if (key.length < MIN_KEY_BYTES) {
                throw new IllegalStateException("toolgate.approvals.state-key-file " + file + " holds " + key.length + " bytes; at least "
                        + MIN_KEY_BYTES + " are needed (e.g. openssl rand -base64 48)");
            }
            return key;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read toolgate.approvals.state-key-file " + file + ": " + e, e);
        }
    }

    /** A new state for {@code binding}, good until {@code expiresAtMillis}. */
    public String seal(Binding binding, long expiresAtMillis) {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        ObjectNode payload = JsonNodeFactory.instance.objectNode()
                .put("sub", binding.subject()).put("src", binding.source()).put("tool", binding.tool())
                .put("args", binding.argumentsSha256()).put("pol", binding.policyHash())
                .put("apr", binding.approval()).put("ns", binding.namespace())
                .put("exp", expiresAtMillis).put("n", B64.encodeToString(nonce));
        String signed = PREFIX + B64.encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8));
        return signed + "." + B64.encodeToString(mac(signed, key));
    }

    /**
     * Opens {@code state} for the call now being made (by {@code subject}, verified as {@code source}, of {@code tool}
     * with arguments of digest {@code argumentsSha256}, under policy {@code policyHash}), and uses it up.
     *
     * @throws Refused when it is not one of ours, was changed, expired, belongs to another caller, tool, arguments or
     *                 policy, or was used already
     */
    public Opened open(String state, String subject, String source, String tool, String argumentsSha256, String policyHash) throws Refused {
        if (state.length() > MAX_STATE_CHARS || !state.startsWith(PREFIX)) {
            throw new Refused("malformed: not a requestState issued by Toolgate");
        }
        int dot = state.lastIndexOf('.');
        if (dot <= PREFIX.length()) {
            throw new Refused("malformed: expected tg1.<payload>.<signature>");
        }
        String signed = state.substring(0, dot);
        byte[] payloadBytes;
        byte[] signature;
        try {
            payloadBytes = B64_DECODE.decode(signed.substring(PREFIX.length()));
            signature = B64_DECODE.decode(state.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw new Refused("malformed: not base64url");
        }
        byte[] before = earlier;
        if (!MessageDigest.isEqual(mac(signed, key), signature) && (before == null || !MessageDigest.isEqual(mac(signed, before), signature))) {
            throw new Refused("its signature does not verify: it was changed, or sealed by another Toolgate (of another policy, or"
                    + " a replica that had no shared key yet)");
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(payloadBytes);
        } catch (IOException e) {
            throw new Refused("malformed payload");
        }
        long expires = payload.path("exp").asLong(0);
        long now = clock.getAsLong();
        if (expires <= now) {
            throw new Refused("expired at " + Instant.ofEpochMilli(expires) + "; send the call again without it");
        }
        if (!subject.equals(payload.path("sub").asText(null)) || !source.equals(payload.path("src").asText(null))) {
            throw new Refused("it was issued to another caller");
        }
        if (!tool.equals(payload.path("tool").asText(null))) {
            throw new Refused("it was issued for another tool");
        }
        if (!argumentsSha256.equals(payload.path("args").asText(null))) {
            throw new Refused("it was issued for other arguments");
        }
        if (policyHash == null || !policyHash.equals(payload.path("pol").asText(null))) {
            throw new Refused("it was issued under another policy (the policy changed since); send the call again without it");
        }
        String nonce = payload.path("n").asText("");
        if (!use(nonce, expires, now)) {
            throw new Refused("it was used already: a requestState is good for one retry");
        }
        Binding binding = new Binding(subject, source, tool, argumentsSha256, policyHash, payload.path("apr").asText(null),
                payload.path("ns").asText(null));
        return new Opened(binding, expires, nonce);
    }

    /** Remembers {@code nonce} until it expires; false when it is remembered already. */
    private synchronized boolean use(String nonce, long expires, long now) {
        while (!byExpiry.isEmpty() && byExpiry.peek().expiresAtMillis() <= now) {
            used.remove(byExpiry.poll().nonce());
        }
        if (used.containsKey(nonce)) {
            return false;
        }
        while (used.size() >= maxUsed) {
            used.remove(byExpiry.poll().nonce());
        }
        used.put(nonce, expires);
        byExpiry.add(new Used(expires, nonce));
        return true;
    }

    /** How many used states are remembered now. */
    synchronized int remembered() {
        return used.size();
    }

    private static byte[] mac(String signed, byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
