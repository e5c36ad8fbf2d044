package io.pgflash.core.driver.trigger;

import static io.pgflash.core.driver.Reconnects.closeQuietly;

import io.pgflash.core.BackOff;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.GroupLeadership;
import io.pgflash.core.driver.Reconnects;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trigger driver's durable mode: statement-level triggers append changes to an event table, so nothing is lost
 * while no application runs; NOTIFY only wakes an idle consumer.
 * <p>
 * Each consumer group keeps a cursor, advanced only after its subscriptions handled the events (at-least-once; a
 * repeated event has the same position). Rows are numbered in the order consumers see them commit, so a transaction
 * that commits late is never skipped. Writers notify only while a consumer waits: it arms its wake-up, looks once
 * more for events (so none is missed), then waits. Consumed events are deleted in small batches; a group not seen for
 * {@code groupExpiry} stops holding them back.
 * <p>
 * Instances of one group take turns: one reads (it holds the group's {@link GroupLeadership}), the others stand by
 * and try every {@code standbyInterval}; the one that takes over resumes from the group's saved cursor.
 */
public final class DurableTriggerDriver implements ChangeDriver {

    private static final Logger log = LoggerFactory.getLogger(DurableTriggerDriver.class);
    /** How often the cursor is written while events flow (at-least-once: a crash repeats at most this much). */
    private static final Duration CURSOR_SAVE_INTERVAL = Duration.ofMillis(200);
    /** The pause after a small batch, and between the looks before arming the wake-up. */
    private static final Duration PACING = Duration.ofMillis(10);
    /** Looks for new events before arming: writers notify only while armed, so a brief lull should not arm. */
    private static final int LOOKS_BEFORE_ARMING = 3;

    private final DurableSql sql;
    private final String group;
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration retentionInterval;
    private final Duration groupExpiry;
    private final BackOff reconnectBackOff;
    private final Duration standbyInterval;
    private final Map<Long, CapturedTable> captures = new ConcurrentHashMap<>();
    private final AtomicLong confirmed = new AtomicLong();
    private final AtomicLong expiredGroups = new AtomicLong();
    private final AtomicLong retentionPasses = new AtomicLong();

    private DriverContext context;
    private GroupLeadership leadership;
    private volatile Connection connection;
    private Thread reader;
    private volatile boolean running;
    private volatile DriverState state = DriverState.STOPPED;
    private long cursor;
    private long savedCursor;
    /** Whether the last fetch filled a batch: numbered events are waiting, so numbering more can wait too. */
    private boolean backlogNumbered;

    private DurableTriggerDriver(Builder builder) {
        this.sql = new DurableSql(builder.schema);
        new TriggerSql(builder.schema); // validates the schema name
        this.group = builder.group;
        this.batchSize = builder.batchSize;
        this.pollInterval = builder.pollInterval;
        this.retentionInterval = builder.retentionInterval;
        this.groupExpiry = builder.groupExpiry;
        this.reconnectBackOff = builder.reconnectBackOff;
        this.standbyInterval = builder.standbyInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "durable";
    }

    public String group() {
        return group;
    }

    /** Groups not seen for longer than the expiry, which no longer hold events back (last count). */
    public long expiredGroups() {
        return expiredGroups.get();
    }

    /** How many times consumed events were cleaned up since start. */
    public long retentionPasses() {
        return retentionPasses.get();
    }

    /** Events of this group not yet consumed (rows in the event table past its cursor, numbered or not). */
    public long backlog() {
        try (Connection c = context.connections().open();
                PreparedStatement statement = c.prepareStatement(sql.backlog())) {
            statement.setQueryTimeout(5);
            statement.setString(1, group);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new PgFlashException("Could not read the backlog of group " + group + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void start(DriverContext driverContext) {
        this.context = driverContext;
        state = DriverState.STARTING;
        SchemaLock.inTransaction(driverContext.connections(), sql.schema(), "install the durable pgflash schema "
                + sql.schema(), c -> {
                    try (Statement statement = c.createStatement()) {
                        for (String each : sql.installStatements()) {
                            statement.execute(each);
                        }
                    }
                    for (String join : new String[] {sql.joinGroup(), sql.ensureWakeup()}) {
                        try (PreparedStatement statement = c.prepareStatement(join)) {
                            statement.setString(1, group);
                            statement.execute();
                        }
                    }
                    reconcile(c);
                });
        leadership = new GroupLeadership(driverContext.connections(), "durable:" + sql.schema() + ":" + group);
        try {
            if (!becomeActive()) {
                state = DriverState.STANDBY;
                log.info("Durable group {} is read by another instance; this one stands by", group);
            }
        } catch (SQLException e) {
            state = DriverState.STOPPED;
            leadership.release();
            throw new PgFlashException("Could not open the durable consumer's connection: " + e.getMessage(), e);
        }
        running = true;
        reader = new Thread(this::readLoop, "pgflash-durable-" + group);
        reader.setDaemon(true);
        reader.start();
    }

    /** Records that this group wants {@code operations} of the table, even while it is down, and syncs triggers. */
    @Override
    public void capture(TableMetadata table, Set<Operation> operations) {
        if (operations.isEmpty()) {
            captures.remove(table.oid());
        } else {
            captures.put(table.oid(), new CapturedTable(table, operations));
        }
        SchemaLock.inTransaction(context.connections(), sql.schema(), "capture " + operations + " on "
                + table.name(), c -> {
                    try (PreparedStatement delete = c.prepareStatement(sql.deleteCaptures())) {
                        delete.setString(1, group);
                        delete.setLong(2, table.oid());
                        delete.executeUpdate();
                    }
                    try (PreparedStatement insert = c.prepareStatement(sql.insertCapture())) {
                        for (Operation operation : operations) {
                            insert.setString(1, group);
                            insert.setLong(2, table.oid());
                            insert.setString(3, operation.name());
                            insert.addBatch();
                        }
                        insert.executeBatch();
                    }
                    reconcile(c);
                });
    }

    private void reconcile(Connection c) throws SQLException {
        sql.ddl().reconcile(c);
    }

    @Override
    public void confirm(Position position) {
        confirmed.accumulateAndGet(position.major(), Math::max);
    }

    @Override
    public void deadLetter(String subscriptionId, List<ChangeEvent> events, Throwable error) {
        try (Connection c = context.connections().open();
                PreparedStatement insert = c.prepareStatement(sql.insertDeadLetter())) {
            for (ChangeEvent event : events) {
                insert.setString(1, group);
                insert.setString(2, subscriptionId);
                insert.setString(3, event.position().toString());
                insert.setString(4, event.table().toString());
                insert.setString(5, event.operation().name());
                insert.setString(6, event.row() == null ? null : event.row().toString());
                insert.setString(7, String.valueOf(error));
                insert.addBatch();
            }
            insert.executeBatch();
        } catch (SQLException e) {
            throw new PgFlashException("Could not record dead letters: " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = reader;
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(pollInterval.toMillis() * 4 + 5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                thread.interrupt();
            }
        }
        state = DriverState.STOPPED;
    }

    /**
     * Saves the cursor of what listeners handled, closes the connection and gives up reading (a standby takes over);
     * the group and its triggers stay.
     */
    @Override
    public synchronized void close() {
        try (Connection c = context.connections().open()) {
            saveCursor(c);
        } catch (SQLException | RuntimeException e) {
            log.warn("Could not save the cursor of group {}; it resumes from the last saved one: {}", group,
                    e.getMessage());
        }
        closeQuietly(connection);
        connection = null;
        if (leadership != null) {
            leadership.release(); // a standby takes over from the cursor just saved
        }
        captures.clear();
    }

    /**
     * Waits without a listening session: a session that LISTENs but never reads would hold the server's NOTIFY queue
     * back.
     */
    private void standBy() {
        closeQuietly(connection);
        connection = null;
        state = DriverState.STANDBY;
    }

    /** Takes the group's reading over if no other instance has it, resuming from the group's saved cursor. */
    private boolean becomeActive() throws SQLException {
        if (!leadership.tryAcquire()) {
            return false;
        }
        if (connection == null) {
            connection = connect();
        }
        cursor = readCursor();
        savedCursor = cursor;
        confirmed.accumulateAndGet(cursor, Math::max);
        state = DriverState.STREAMING;
        return true;
    }

    @Override
    public DriverState state() {
        return state;
    }

    private Connection connect() throws SQLException {
        Connection c = context.connections().open();
        try (Statement statement = c.createStatement()) {
            statement.execute("LISTEN " + io.pgflash.core.TableName.quote(sql.channel()));
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        return c;
    }

    private long readCursor() throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql.readCursor())) {
            statement.setString(1, group);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private void readLoop() {
        Reconnects reconnects = new Reconnects(reconnectBackOff, context.observer(), log, "Durable group " + group);
        long lastRetention = 0;
        long lastSave = 0;
        long lastLeadershipCheck = System.nanoTime();
        try {
            while (running) {
                try {
                    if (!leadership.held()) {
                        if (!becomeActive()) {
                            standBy();
                            TimeUnit.MILLISECONDS.sleep(standbyInterval.toMillis());
                            continue;
                        }
                        reconnects.connected();
                        log.info("Durable group {}: this instance reads now, from position {}", group, cursor);
                    } else if (System.nanoTime() - lastLeadershipCheck > standbyInterval.toNanos()) {
                        lastLeadershipCheck = System.nanoTime();
                        if (!leadership.stillHeld()) {
                            log.warn("Durable group {}: this instance lost its turn (its lock session ended) and"
                                    + " stands by", group);
                            standBy();
                            continue;
                        }
                    }
                    if (connection == null) {
                        connection = connect();
                        state = DriverState.STREAMING;
                        reconnects.connected();
                    }
                    if (System.nanoTime() - lastSave > CURSOR_SAVE_INTERVAL.toNanos()) {
                        saveCursor(connection);
                        lastSave = System.nanoTime();
                    }
                    int delivered = deliverNext();
                    if (delivered == 0) {
                        waitForWork();
                    } else if (delivered < batchSize / 2) {
                        // a trickle: let a few more commit, so the consumer's own commits stay few
                        TimeUnit.MILLISECONDS.sleep(PACING.toMillis());
                    }
                    if (System.nanoTime() - lastRetention > retentionInterval.toNanos()) {
                        deleteConsumed();
                        lastRetention = System.nanoTime();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (SQLException | RuntimeException e) {
                    if (!running) {
                        return;
                    }
                    state = DriverState.RECONNECTING;
                    closeQuietly(connection);
                    connection = null;
                    if (!reconnects.failed(e)) {
                        return;
                    }
                }
            }
        } finally {
            closeQuietly(connection);
            connection = null;
        }
    }

    /**
     * Numbers newly committed events (unless numbered ones are still waiting), then hands the next batch past the
     * cursor to the sink (which waits while subscribers are full). Returns how many event rows there were.
     * <p>
     * While a backlog drains, numbering only when the numbered events run out keeps each batch from paying for an
     * UPDATE (and a scan past the index entries earlier numbering left behind).
     */
    private int deliverNext() throws SQLException, InterruptedException {
        if (!backlogNumbered) {
            sequence();
        }
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql.fetch())) {
            statement.setLong(1, cursor);
            statement.setInt(2, batchSize);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getLong(4),
                            rs.getTimestamp(5).toInstant(), rs.getString(6)));
                }
            }
        }
        for (Row row : rows) {
            CapturedTable capture = captures.get(row.relid);
            List<ChangeEvent> events = List.of();
            if (capture != null) {
                try {
                    events = capture.events(Notification.operation(row.op), row.xid, row.stamp,
                            Notification.items(row.body, 0), row.seq, context);
                } catch (RuntimeException e) {
                    log.error("Durable group {} skipped event {} it could not read: {}", group, row.seq,
                            e.getMessage(), e);
                }
            }
            context.sink().accept(events, new Position(row.seq, 0));
            cursor = row.seq;
        }
        backlogNumbered = rows.size() == batchSize;
        return rows.size();
    }

    /** Gives committed, unnumbered events their numbers, in one transaction under the sequencer lock. */
    private void sequence() throws SQLException {
        connection.setAutoCommit(false);
        try {
            try (PreparedStatement lock = connection.prepareStatement(sql.lockSequencer())) {
                lock.setString(1, sql.schema());
                lock.execute();
            }
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate(sql.sequence());
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /**
     * After a few quick looks, arms the wake-up, looks once more (no wake-up may be lost), waits, then disarms.
     */
    private void waitForWork() throws SQLException, InterruptedException {
        for (int look = 0; look < LOOKS_BEFORE_ARMING; look++) {
            TimeUnit.MILLISECONDS.sleep(PACING.toMillis());
            if (deliverNext() > 0) {
                return;
            }
        }
        saveCursor(connection);
        arm(true);
        try {
            if (deliverNext() > 0) {
                return;
            }
            connection.unwrap(PGConnection.class).getNotifications((int) pollInterval.toMillis());
        } finally {
            if (connection != null) {
                arm(false);
            }
        }
    }

    private void arm(boolean armed) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql.arm())) {
            statement.setBoolean(1, armed);
            statement.setString(2, group);
            statement.executeUpdate();
        }
    }

    /** Writes the cursor if listeners handled more since the last time it was written. */
    private void saveCursor(Connection c) throws SQLException {
        long handled = confirmed.get();
        if (handled <= savedCursor) {
            return;
        }
        try (PreparedStatement statement = c.prepareStatement(sql.saveCursor())) {
            statement.setLong(1, handled);
            statement.setString(2, group);
            statement.executeUpdate();
        }
        savedCursor = handled;
    }

    /** Deletes consumed events in batches of 5,000, so no lock is held long. */
    private void deleteConsumed() throws SQLException {
        long expirySeconds = groupExpiry.toSeconds();
        List<String> expired = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql.expiredGroups())) {
            statement.setLong(1, expirySeconds);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    expired.add(rs.getString(1));
                }
            }
        }
        if (expired.size() != expiredGroups.getAndSet(expired.size()) && !expired.isEmpty()) {
            log.warn("Consumer groups {} were not seen for {} and no longer hold events back", expired, groupExpiry);
        }
        int deleted;
        do {
            try (PreparedStatement statement = connection.prepareStatement(sql.deleteConsumed())) {
                statement.setLong(1, expirySeconds);
                deleted = statement.executeUpdate();
            }
        } while (deleted == 5000 && running);
        retentionPasses.incrementAndGet();
    }

    private record Row(long seq, long relid, String op, long xid, Instant stamp, String body) {
    }

    public static final class Builder {
        private String schema = "pgflash";
        private String group = "default";
        private int batchSize = 200;
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration retentionInterval = Duration.ofSeconds(30);
        private Duration groupExpiry = Duration.ofDays(7);
        private BackOff reconnectBackOff = BackOff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
        private Duration standbyInterval = Duration.ofSeconds(1);

        /** The schema for pgflash's objects (default {@code pgflash}). */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /** The consumer group: it has one cursor, kept in the database (default {@code default}). */
        public Builder group(String group) {
            this.group = group;
            return this;
        }

        /** Event-table rows (statements) fetched at once (default 200). */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Longest wait for a wake-up before looking anyway (default 1 s). */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = interval;
            return this;
        }

        /** How often consumed events are deleted (default 30 s). */
        public Builder retentionInterval(Duration interval) {
            this.retentionInterval = interval;
            return this;
        }

        /** A group not seen for this long no longer holds events back (default 7 days). */
        public Builder groupExpiry(Duration expiry) {
            this.groupExpiry = expiry;
            return this;
        }

        public Builder reconnectBackOff(BackOff backOff) {
            this.reconnectBackOff = backOff;
            return this;
        }

        /**
         * How often a standby instance tries to take the group's reading over, and the active one checks it still
         * has it (default 1 s).
         */
        public Builder standbyInterval(Duration interval) {
            this.standbyInterval = interval;
            return this;
        }

        public DurableTriggerDriver build() {
            return new DurableTriggerDriver(this);
        }
    }
}
