package io.pgflash.core.driver.trigger;

/**
 * A round being read: the events of the transactions that committed between two snapshots, numbered from
 * {@code firstPosition} in the order they were written.
 */
final class Round {

    final String snapshot;
    final String cutAgainst;
    final long firstPosition;
    final long events;
    /** Events handed over, counting those the group read before it (re)started. */
    long read;
    /** Whether a cursor over this round is open in the consumer's session. */
    boolean cursorOpen;

    Round(String snapshot, String cutAgainst, long firstPosition, long events, long cursor) {
        this.snapshot = snapshot;
        this.cutAgainst = cutAgainst;
        this.firstPosition = firstPosition;
        this.events = events;
        this.read = Math.max(0, cursor - firstPosition + 1);
    }

    long lastPosition() {
        return firstPosition + events - 1;
    }

    boolean fullyRead() {
        return read >= events;
    }
}
