package io.pgflash.core;

import java.time.Duration;
import java.util.List;

/**
 * Hooks for metrics and health: called on pgflash's threads, so implementations must be quick and must not throw.
 * Every method has a no-op default.
 */
public interface PgFlashObserver {

    /** What became of one event for one subscription. */
    enum Outcome {
        /** The listener handled it (perhaps after retries). */
        SUCCESS,
        /** The listener kept failing and the recoverer took the event. */
        RECOVERED,
        /** The listener kept failing and the event was logged and skipped. */
        SKIPPED
    }

    /** The driver read a table change (before subscriptions look at it). */
    default void received(ChangeEvent event) {
    }

    /**
     * A subscription is done with events (one, or a batch for batch listeners) of its table; {@code listenerTime}
     * covers every attempt.
     */
    default void delivered(String subscriptionId, List<ChangeEvent> events, Outcome outcome, Duration listenerTime) {
    }

    /** An attempt to reach the database failed (a connection lost, or a reconnect refused); another follows. */
    default void reconnecting() {
    }

    /** The database answers again after {@code failedAttempts} failed attempts: one outage is over. */
    default void reconnected(int failedAttempts) {
    }

    /** A snapshot began, read a chunk, completed or failed. */
    default void snapshotProgress(SnapshotProgress progress) {
    }
}
