package io.pgflash.core;

/**
 * Where an event stands in its driver's stream: monotonic in delivery order and the same for a redelivered event
 * (after a crash, in the durable and WAL drivers), so it serves as an idempotency key. It names the database change:
 * the DELETE and INSERT of a split key change share it, so deduplicate on position and operation there.
 * <p>
 * What the two parts mean depends on the driver: commit LSN and change index (WAL), the event's place in the group's
 * stream of rounds and 0 (durable), the client's notification sequence and row index (notify). Compare positions
 * only within one stream.
 */
public record Position(long major, long minor) implements Comparable<Position> {

    @Override
    public int compareTo(Position other) {
        int byMajor = Long.compareUnsigned(major, other.major);
        return byMajor != 0 ? byMajor : Long.compareUnsigned(minor, other.minor);
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(major) + ":" + Long.toUnsignedString(minor);
    }
}
