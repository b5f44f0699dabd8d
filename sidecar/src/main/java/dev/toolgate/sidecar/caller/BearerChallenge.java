package dev.toolgate.sidecar.caller;

/**
 * The {@code WWW-Authenticate} value of a 401 (RFC 6750 §3): {@code Bearer}, the protected resource metadata's URL
 * (RFC 9728 §5.1) and, when the request carried a credential, {@code error} and {@code error_description}. The
 * description may quote what the client sent, so it is cut to printable ASCII without {@code "} or {@code \}.
 */
public final class BearerChallenge {

    private static final int MAX_DESCRIPTION = 300;

    private BearerChallenge() {
    }

    public static String header(Resolution.Unauthenticated refusal, String resourceMetadataUrl) {
        StringBuilder value = new StringBuilder("Bearer");
        String separator = " ";
        if (resourceMetadataUrl != null) {
            value.append(separator).append("resource_metadata=\"").append(safe(resourceMetadataUrl)).append('"');
            separator = ", ";
        }
        if (refusal.error() != null) {
            value.append(separator).append("error=\"").append(refusal.error()).append('"');
            separator = ", ";
            if (refusal.description() != null) {
                value.append(separator).append("error_description=\"").append(safe(refusal.description())).append('"');
            }
        }
        return value.toString();
    }

    /** RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E. */
    static String safe(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_DESCRIPTION));
        for (int i = 0; i < text.length() && out.length() < MAX_DESCRIPTION; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? c : '?');
        }
        return out.toString();
    }
}
