package io.pgflash.core;

/**
 * Whether a subscription starts by reading the table's current rows ({@link Operation#READ} events), then the changes
 * after them. Whatever the mode, {@link PgFlash#snapshot(Subscription)} reads the table again on demand.
 */
public enum SnapshotMode {
    /** Changes only, from when the subscription starts (the default). */
    NONE,
    /**
     * Every current row (through the subscription's filter), then the changes after them, once per consumer group:
     * for every key, the listener never sees an older state after a newer one, and misses no committed change. For a
     * copy kept outside the application (a second database, a search index). With a driver that keeps the group's
     * place (WAL, durable), the snapshot is taken at the group's first start (or when the subscription first appears
     * in it) and never again; one interrupted by a crash or stop goes on after the last chunk the listener handled.
     * With the notify driver, which keeps nothing across restarts, every start takes it again.
     */
    INITIAL,
    /**
     * Every current row, then the changes after them, at every start of the client (and when the subscription is
     * added to a running client): for a copy kept in memory, which an application's restart empties. A snapshot
     * interrupted by a stop starts again from the beginning.
     */
    EVERY_START
}
