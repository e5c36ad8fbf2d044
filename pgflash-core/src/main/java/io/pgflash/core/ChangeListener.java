package io.pgflash.core;

/** Receives a subscription's events, one at a time in commit order (or per key, with concurrency). */
@FunctionalInterface
public interface ChangeListener {

    void onChange(ChangeEvent event) throws Exception;

    /**
     * Changes may have been missed before this point (notify mode after a reconnect; durable mode for rows it cannot
     * read or events deleted while the group was expired); the default ignores it.
     */
    default void onGap(StreamGap gap) {
    }

    /** A snapshot of the table began or completed, in order with the events around it; the default ignores it. */
    default void onSnapshot(SnapshotNotice notice) {
    }
}
