package io.pgflash.core;

import java.util.Objects;

/**
 * What happens when a subscription's listener falls behind the stream. {@link #block()}, the default, makes the
 * reading wait for it, so it sees every event: right for listeners that must. A subscription that pushes to one
 * client (one per open browser page) keeps a bounded buffer instead, so one slow client never holds the others up:
 * past it, {@link #cutOff(int)} ends the subscription and {@link #dropOldest(int)} drops its oldest waiting events.
 * Either way its listener is told by a {@link StreamGap} first, and the events it does not get are confirmed to the
 * driver like delivered ones (the subscription gave them up; the others still get them).
 */
public record OverflowPolicy(Action action, int buffer) {

    /** Events a subscription may have waiting before the reading waits for it. */
    public static final int BLOCK_BUFFER = 1024;

    public enum Action {
        /** The reading waits (and so every subscription of the client). */
        BLOCK,
        /** The subscription is cancelled after a gap notice. */
        CUT_OFF,
        /** The oldest waiting events are dropped, and a gap notice tells how many before the next event. */
        DROP_OLDEST
    }

    public OverflowPolicy {
        Objects.requireNonNull(action, "action");
        if (buffer < 1) {
            throw new IllegalArgumentException("an overflow buffer must hold at least 1 event, got " + buffer);
        }
    }

    /** The default: the reading waits while {@value #BLOCK_BUFFER} events wait for the listener. */
    public static OverflowPolicy block() {
        return new OverflowPolicy(Action.BLOCK, BLOCK_BUFFER);
    }

    /** Past {@code buffer} waiting events (per concurrency lane), the subscription is told and cancelled. */
    public static OverflowPolicy cutOff(int buffer) {
        return new OverflowPolicy(Action.CUT_OFF, buffer);
    }

    /** Past {@code buffer} waiting events (per concurrency lane), the oldest are dropped, and the listener told. */
    public static OverflowPolicy dropOldest(int buffer) {
        return new OverflowPolicy(Action.DROP_OLDEST, buffer);
    }
}
