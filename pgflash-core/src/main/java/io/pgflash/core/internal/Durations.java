package io.pgflash.core.internal;

import java.time.Duration;

/** Checks of the durations builders take, failing with the setting's name and the least value it takes. */
public final class Durations {

    private Durations() {
    }

    /** {@code value}, if it is at least {@code least}; fails naming {@code setting} otherwise. */
    public static Duration atLeast(Duration value, Duration least, String setting) {
        if (value == null || value.compareTo(least) < 0) {
            throw new IllegalArgumentException("pgflash " + setting + " is " + value + "; set it to " + least
                    + " or more");
        }
        return value;
    }
}
