package dev.toolgate.sidecar.mcp;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
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

    /** Whether the bytes are valid UTF-8, checked without building the text (a large body is not copied). */
    public static boolean isValid(byte[] bytes, int start, int end) {
        if (isAscii(bytes, start, end)) {
            return true;
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, end - start);
        CharBuffer out = CharBuffer.allocate(Math.min(8192, Math.max(16, end - start)));
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                return false;
            }
            if (result.isUnderflow()) {
                return !decoder.flush(out.clear()).isError();
            }
            out.clear(); // overflow: the text itself is not needed
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
