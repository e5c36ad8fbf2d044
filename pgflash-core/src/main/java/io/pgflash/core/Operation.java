package io.pgflash.core;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** The kind of row change, or {@link #READ} for a row read by a snapshot. */
public enum Operation {
    INSERT, UPDATE, DELETE, TRUNCATE,
    /**
     * A row as a snapshot read it ({@link SubscriptionSpec.Builder#snapshot(SnapshotMode)}): the table's current
     * state of its key, not a change. Not an operation to subscribe to: a subscription gets these when it asks for a
     * snapshot.
     */
    READ;

    /** The operations that change rows: those a subscription picks from and a driver captures. */
    public static final Set<Operation> CHANGES = Collections.unmodifiableSet(EnumSet.of(INSERT, UPDATE, DELETE,
            TRUNCATE));
}
