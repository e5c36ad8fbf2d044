package io.pgflash.core.internal.dispatch;

import java.math.BigDecimal;

/**
 * Numbers of different Java types compared by value, as PostgreSQL compares numbers of different types: a filter's
 * value keeps the type its column had when it subscribed ({@code Integer} for an {@code int}), and a column retyped
 * since ({@code ALTER COLUMN ... TYPE bigint}) brings {@code Long}s. NaN sorts above every other number and equals
 * itself, infinities sort at either end, as in PostgreSQL.
 */
final class Numbers {

    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private Numbers() {
    }

    /**
     * One object per numeric value, equal exactly when the values are: a whole number as a {@code Long}, other
     * decimals without trailing zeros, other floats as a {@code Double}.
     */
    static Object canonical(Number number) {
        if (number instanceof Long || number instanceof Integer || number instanceof Short || number instanceof Byte) {
            return number.longValue();
        }
        if (number instanceof BigDecimal decimal) {
            if (decimal.signum() == 0) {
                return 0L;
            }
            BigDecimal stripped = decimal.stripTrailingZeros();
            boolean whole = stripped.scale() <= 0 && stripped.compareTo(LONG_MIN) >= 0
                    && stripped.compareTo(LONG_MAX) <= 0;
            return whole ? stripped.longValueExact() : stripped;
        }
        if (number instanceof Double || number instanceof Float) {
            double value = number.doubleValue();
            boolean whole = value == Math.rint(value) && Math.abs(value) < 0x1p62;
            return whole ? (Object) (long) value : (Object) value; // -0.0 is 0, as in SQL
        }
        return number;
    }

    /** Compares two numbers by value, in PostgreSQL's order. */
    static int compare(Number a, Number b) {
        int ranks = Integer.compare(rank(a), rank(b));
        if (ranks != 0 || rank(a) != 0) {
            return ranks;
        }
        return exact(a).compareTo(exact(b));
    }

    /** -1 for minus infinity, 0 for a finite number, 1 for infinity, 2 for NaN. */
    private static int rank(Number number) {
        if (!(number instanceof Double) && !(number instanceof Float)) {
            return 0;
        }
        double value = number.doubleValue();
        if (Double.isNaN(value)) {
            return 2;
        }
        return Double.isInfinite(value) ? (value > 0 ? 1 : -1) : 0;
    }

    private static BigDecimal exact(Number number) {
        if (number instanceof BigDecimal decimal) {
            return decimal;
        }
        if (number instanceof Double || number instanceof Float) {
            return new BigDecimal(number.doubleValue());
        }
        return BigDecimal.valueOf(number.longValue());
    }
}
