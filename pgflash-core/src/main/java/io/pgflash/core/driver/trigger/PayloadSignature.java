package io.pgflash.core.driver.trigger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Checks the MAC the capture trigger puts in front of each payload ({@code <mac>|<message>}), so a role that can
 * only connect cannot forge change events with NOTIFY. The MAC is {@code sha256(key || message)} cut to its first 16
 * bytes, in hex, the key being readable only by pgflash's role. Any role may LISTEN and so read signed payloads, but
 * cut to half of SHA-256's state a MAC gives no start for a length extension (as with SHA-512/256), and one hash is
 * the cost every writing statement pays.
 */
final class PayloadSignature {

    private static final int MAC_LENGTH = 32;

    private final String key;

    PayloadSignature(String key) {
        this.key = key;
    }

    /** The message without its MAC, or null when the MAC is missing or wrong. */
    String verify(String payload) {
        if (payload.length() <= MAC_LENGTH || payload.charAt(MAC_LENGTH) != '|') {
            return null;
        }
        String message = payload.substring(MAC_LENGTH + 1);
        byte[] expected = mac(message).getBytes(StandardCharsets.US_ASCII);
        byte[] actual = payload.substring(0, MAC_LENGTH).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, actual) ? message : null;
    }

    String mac(String message) {
        return sha256Hex(key + message).substring(0, MAC_LENGTH);
    }

    private static String sha256Hex(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
