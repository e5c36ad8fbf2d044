package io.pgflash.core.internal.dispatch;

import java.math.BigDecimal;

/**
 * Numbers of different Java types compared by value, as PostgreSQL compares numbers of different types: a filter's
 * value keeps the type its column had when it subscribed ({@code Integer} for an {@code int}), and a column retyped
 * since ({@code ALTER COLUMN ... TYPE bigint}) brings {@code Long}s. As in PostgreSQL, a comparison with a floating
 * point number is made in {@code double} (where -0 equals 0, and NaN equals itself and sorts above every number), and
 * one between integers and decimals exactly.
 */
final class Numbers {

    private Numbers() {
    }

    /**
     * A hash key for a number: equal for any two numbers {@link #compare} finds equal (and sometimes for two it does
     * not, which a lookup then tests again).
     */
    static Object key(Number number) {
        return number.doubleValue() + 0.0; // -0.0 becomes 0.0
    }

    /** Compares two numbers by value, in PostgreSQL's order. */
    static int compare(Number a, Number b) {
        if (floating(a) || floating(b)) {
            return Double.compare(a.doubleValue() + 0.0, b.doubleValue() + 0.0);
        }
        if (!(a instanceof BigDecimal) && !(b instanceof BigDecimal)) {
            return Long.compare(a.longValue(), b.longValue());
        }
        return exact(a).compareTo(exact(b));
    }

    private static boolean floating(Number number) {
        return number instanceof Double || number instanceof Float;
    }

    private static BigDecimal exact(Number number) {
        return number instanceof BigDecimal decimal ? decimal : BigDecimal.valueOf(number.longValue());
    }
}
