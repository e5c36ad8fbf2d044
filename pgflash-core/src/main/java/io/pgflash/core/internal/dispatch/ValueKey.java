package io.pgflash.core.internal.dispatch;

import java.nio.ByteBuffer;

/**
 * A row value as a hash key, equal whenever a filter's {@code eq} finds two values the same: numbers by value whatever
 * their Java type (1.0 = 1.00 = 1, as in SQL; two numbers may also share a key when they differ, and the filter tests
 * them again, see {@link Numbers}), {@code bytea} by content. Values whose equality a hash cannot follow (arrays other
 * than {@code bytea}) have no key.
 */
final class ValueKey {

    /** No key: the value cannot be looked up, only compared. */
    static final Object NONE = new Object();

    private ValueKey() {
    }

    static Object of(Object value) {
        if (value instanceof Number number) {
            return Numbers.key(number);
        }
        if (value instanceof byte[] bytes) {
            return ByteBuffer.wrap(bytes);
        }
        if (value.getClass().isArray()) {
            return NONE;
        }
        return value;
    }
}
