package io.pgflash.core;

/**
 * Where an event stands in its driver's stream: monotonic in delivery order and unique per event, so it serves as an
 * idempotency key. A redelivered event (after a crash, in the durable and WAL drivers) carries the same position.
 * <p>
 * What the two parts mean depends on the driver: commit LSN and change index (WAL), event id and row index (durable),
 * the client's notification sequence and row index (notify). Compare positions only within one stream.
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
