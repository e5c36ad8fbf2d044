package io.pgflash.core.driver;

import java.sql.SQLException;

/**
 * The part of a driver's reader that differs per driver; a {@link ReaderRuntime} runs it on a thread of its own and
 * owns the rest (the thread, its state, reconnecting with back-off, a consumer group's turn, stopping).
 */
public interface ReadingSession {

    /** Why {@link #open} is called. */
    enum Opening {
        /** At start, in the starting thread; the instance has the group's turn, if it is in a group. */
        FIRST,
        /** This instance has just taken its group's turn over (after standing by, or after losing the turn). */
        TAKEOVER,
        /** The connection was lost; the instance kept its turn (or has no group). */
        RECONNECT
    }

    /** Opens what reading needs (connection, stream); on failure the runtime calls {@link #abort()} and retries. */
    void open(Opening opening) throws SQLException, InterruptedException;

    /**
     * Reads one batch and hands it to the runtime's sink, waiting up to a poll interval when nothing comes. Returns
     * whether it read anything.
     */
    boolean readBatch() throws SQLException, InterruptedException;

    /** The driver's periodic work (heartbeats, connection checks, clean-up), each on its own schedule. */
    default void chores(boolean idle) throws SQLException, InterruptedException {
    }

    /**
     * Called from the stopping thread: ends a wait in {@link #readBatch()} early, so a stop need not wait it out.
     */
    default void wakeUp() {
    }

    /** Drops the session at once, from any thread: it broke, it is stuck, or the group's turn is gone. */
    void abort();

    /** The reader thread is ending (stopped): release what only a running reader needs. */
    default void ended() {
    }
}
