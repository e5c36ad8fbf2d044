package io.pgflash.core;

/**
 * Whether a subscription starts by reading the table's current rows ({@link Operation#READ} events), then the changes
 * after them. Whatever the mode, {@link PgFlash#snapshot(Subscription)} reads the table again on demand.
 */
public enum SnapshotMode {
    /** Changes only, from when the subscription starts (the default). */
    NONE,
    /**
     * Every current row (through the subscription's filter) when the client starts, or when the subscription is
     * added to a running client, then the changes after them: for every key, the listener never sees an older state
     * after a newer one, and misses no committed change.
     */
    INITIAL
}
