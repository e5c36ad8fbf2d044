package io.pgflash.core;

import java.time.Duration;
import java.util.Objects;

/** Exponential back-off: {@code initial}, multiplied by {@code multiplier} each time, never above {@code max}. */
public record BackOff(Duration initial, double multiplier, Duration max) {

    public BackOff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || max.compareTo(initial) < 0 || multiplier < 1) {
            throw new IllegalArgumentException("BackOff needs 0 <= initial <= max and multiplier >= 1, got "
                    + initial + ", " + multiplier + ", " + max);
        }
    }

    public static BackOff fixed(Duration delay) {
        return new BackOff(delay, 1, delay);
    }

    public static BackOff exponential(Duration initial, Duration max) {
        return new BackOff(initial, 2, max);
    }

    /** The delay before retry number {@code retry} (1 for the first retry). */
    public Duration delay(int retry) {
        double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, retry - 1));
        return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
    }
}
