package io.pgflash.core;

import java.util.List;

/**
 * Receives a subscription's events in batches: what is queued when the listener is free, in order, at most
 * {@link #MAX_BATCH} at a time. The error policy applies to the whole batch; a recoverer gets its events one by one.
 */
@FunctionalInterface
public interface BatchChangeListener {

    int MAX_BATCH = 500;

    void onChanges(List<ChangeEvent> events) throws Exception;

    /** Changes may have been missed before this point; the default ignores it. */
    default void onGap(StreamGap gap) {
    }

    /** A snapshot of the table began or completed, in order with the events around it; the default ignores it. */
    default void onSnapshot(SnapshotNotice notice) {
    }
}
