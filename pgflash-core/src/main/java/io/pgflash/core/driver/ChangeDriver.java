package io.pgflash.core.driver;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.catalog.TableMetadata;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The part of pgflash that differs per change source. A driver reads changes of the tables it is told to capture,
 * decodes them into table-level {@code ChangeEvent}s with typed, full rows, and hands them to the {@link EventSink};
 * matching, dispatch, error policy and acknowledgement are shared by all drivers.
 */
public interface ChangeDriver {

    /** A short name for logs, health and metrics: {@code trigger}, {@code durable}, {@code wal}. */
    String name();

    /** Connects and starts reading; fails with a message naming what to fix when the database does not allow it. */
    void start(DriverContext context);

    /**
     * Makes the driver capture exactly {@code operations} of {@code table} from now on (none: stop capturing it). All
     * or nothing: when this fails, the database is as before.
     */
    void capture(TableMetadata table, Set<Operation> operations);

    /**
     * Checks what this driver needs of the server (settings, the role's rights), on the connection that reads the first
     * subscribed table's definition: a server that start would refuse is named before a subscription's own refusal,
     * so the fixes come in the order they are needed. Start checks again. The default needs nothing.
     */
    default void checkServer(Connection connection) throws SQLException {
    }

    /**
     * Checks a new subscription against what this driver can deliver for the table; fails or warns (naming the
     * table and the fix) before anything is installed. The default accepts everything.
     */
    default void validate(SubscriptionSpec spec, TableMetadata table) {
    }

    /**
     * A subscription gave up on these events (its error policy ran out of attempts); a durable driver records them
     * as dead letters. The default does nothing.
     */
    default void deadLetter(String subscriptionId, List<ChangeEvent> events, Throwable error) {
    }

    /**
     * Writes the watermark of a snapshot chunk into the stream, on {@code connection} in autocommit after the chunk was
     * read, in one statement (one transaction, one round trip): once it commits, the driver's reader hands
     * {@code token} to the sink's {@link EventSink#watermark} at its place in commit order, after every change committed
     * before it. The default refuses: a driver without it cannot take snapshots.
     */
    default void emitWatermark(Connection connection, String token) throws SQLException {
        throw new PgFlashException("The " + name() + " driver cannot take snapshots");
    }

    /**
     * Where the driver keeps its snapshots' places beside its group's place in the stream, so a snapshot interrupted by
     * a crash or stop goes on where it was and an initial snapshot is taken once per group. The default: none (the
     * driver keeps nothing across restarts, and every start takes its initial snapshots again).
     */
    default Optional<SnapshotCheckpoints> snapshotCheckpoints() {
        return Optional.empty();
    }

    /** Every event up to {@code position} is handled; a durable driver may advance its stored position. */
    void confirm(Position position);

    /** Stops reading; no event reaches the sink after this returns. */
    void stop();

    /** Releases the database state of this session (after {@link #stop()}); the driver may start again. */
    void close();

    /**
     * A start failed after {@link #start} returned (a table could not be captured): once stopped, and before
     * {@link #close()} (so the driver still holds its group's turn), the driver removes the database objects that
     * start created, and nothing else, so a failed start leaves nothing half-installed. The default does nothing.
     */
    default void undoStart() {
    }

    /** The client is closed for good (after {@link #close()}): drop what the driver was told to drop then. */
    default void shutdown() {
    }

    DriverState state();

    /**
     * Whether the driver keeps its group's place and the events after it while the application is down (WAL slot,
     * durable event table), so events confirmed only once handled are delivered at least once across restarts. The
     * default: no.
     */
    default boolean keepsEventsWhileStopped() {
        return false;
    }

    /**
     * Whether the rows of its changes carry generated columns (logical replication does not send them): a snapshot
     * reads what the changes carry, so its rows have the same columns. The default: they do.
     */
    default boolean sendsGeneratedColumns() {
        return true;
    }

    /**
     * What this instance holds in its consumer group (reads, stands by, or cannot tell now), apart from its
     * connection's state; empty for a driver without consumer groups, where every instance reads.
     */
    default Optional<GroupRole> groupRole() {
        return Optional.empty();
    }

    /**
     * What this driver measures about itself for health and metrics (the NOTIFY queue's fill, a slot's lag), each
     * read from the database when asked, once started. The default: none.
     */
    default List<Measurement> measurements() {
        return List.of();
    }

    /** Health details besides the measurements (the consumer group, the slot), read when asked. The default: none. */
    default Map<String, Object> healthDetails() {
        return Map.of();
    }
}
