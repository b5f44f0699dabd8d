package dev.toolgate.sidecar;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 decoding that refuses invalid bytes instead of replacing them, so what is inspected is what was sent. */
public final class StrictUtf8 {

    private StrictUtf8() {
    }

    /** The bytes as text, or null when they are not valid UTF-8. */
    public static String decode(byte[] bytes, int start, int end) {
        if (isAscii(bytes, start, end)) {
            return new String(bytes, start, end - start, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, start, end - start))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Bytes 0x00..0x7F only (the common case, decoded without a decoder). */
    public static boolean isAscii(byte[] bytes, int start, int end) {
        for (int i = start; i < end; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
