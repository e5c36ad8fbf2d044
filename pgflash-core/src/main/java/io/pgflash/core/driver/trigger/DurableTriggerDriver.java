package io.pgflash.core.driver.trigger;

import static io.pgflash.core.driver.Reconnects.closeQuietly;

import io.pgflash.core.BackOff;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.driver.GroupLeadership;
import io.pgflash.core.driver.GroupRole;
import io.pgflash.core.driver.Measurement;
import io.pgflash.core.driver.NotifyQueue;
import io.pgflash.core.driver.ReaderRuntime;
import io.pgflash.core.driver.ReadingSession;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trigger driver's durable mode: statement-level triggers append changes to an event table, so nothing is lost
 * while no application runs; NOTIFY only wakes an idle consumer.
 * <p>
 * Each consumer group keeps a cursor, advanced only after its subscriptions handled the events (at-least-once; a
 * repeated event has the same position). Consumers cut the stream into rounds of the transactions that committed
 * between two snapshots, so a transaction that commits late lands in a later round and is never skipped; within a
 * round events go in the order they were written, and positions are numbered there, the same for every group, without
 * rewriting an event row. Writers notify only while a consumer waits: writers hold a wake-up lock shared until they
 * commit, and an idle consumer arms by taking it exclusively, which it gets only when no writer that checked before
 * is still open. Consumed rounds are deleted in small batches; a group not seen for {@code groupExpiry} stops holding
 * them back.
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
    /** The dead letters' subscription for events no subscription could be given: they could not be decoded. */
    static final String UNREADABLE = "(unreadable)";
    /** The longest a wait goes without checking whether the driver is stopping. */
    private static final Duration STOP_CHECK = Duration.ofMillis(250);
    /** PostgreSQL cuts longer names, so triggers would no longer be found by the names they were created with. */
    private static final int MAX_NAME_BYTES = 63;

    private final DurableSql sql;
    private final String group;
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration retentionInterval;
    private final Duration groupExpiry;
    private final ReaderRuntime runtime;
    private EventSink sink;
    private final Map<Long, CapturedTable> captures = new ConcurrentHashMap<>();
    /** What this instance's subscriptions capture, by table oid: captured again when it takes the group's turn. */
    private final Map<Long, Set<Operation>> wanted = new ConcurrentHashMap<>();
    private final AtomicLong confirmed = new AtomicLong();
    /** The expired groups last logged, so each change is logged once. */
    private final AtomicLong expiredLogged = new AtomicLong();
    private final AtomicLong retentionPasses = new AtomicLong();

    private DriverContext context;
    private GroupLeadership leadership;
    private volatile Connection connection;
    private ScheduledExecutorService heartbeat;
    /** The digest of the captured tables' columns as of the round last opened, and as last described. */
    private String roundColumns = "";
    private String knownColumns;
    /** Gaps found while looking, handed over with the next events. */
    private final List<StreamGap> gaps = new ArrayList<>();
    /** The end of events found deleted, to confirm once handed over (0: none). */
    private long skippedThrough;
    private long cursor;
    private long savedCursor;
    /** The round being read, or null between rounds. */
    private Round round;

    private DurableTriggerDriver(Builder builder) {
        new TriggerSql(builder.schema); // validates the schema name
        this.sql = new DurableSql(builder.schema);
        String longestTrigger = sql.triggerName(Operation.TRUNCATE);
        int suffixBytes = bytes(longestTrigger) - bytes(builder.schema);
        if (bytes(longestTrigger) > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("pgflash durable schema name '" + builder.schema + "' is too long for"
                    + " its trigger names (" + longestTrigger + " must fit PostgreSQL's " + MAX_NAME_BYTES
                    + " bytes); use a name of at most " + (MAX_NAME_BYTES - suffixBytes) + " bytes");
        }
        if (builder.group == null || builder.group.isBlank()) {
            throw new IllegalArgumentException("pgflash durable group name is empty; name the consumer group (for"
                    + " example the application's name)");
        }
        if (builder.batchSize < 1) {
            throw new IllegalArgumentException("pgflash durable batch size is " + builder.batchSize
                    + "; set it to 1 or more (events fetched at once)");
        }
        this.group = builder.group;
        this.batchSize = builder.batchSize;
        this.pollInterval = atLeast(builder.pollInterval, Duration.ofMillis(1), "poll interval");
        this.retentionInterval = atLeast(builder.retentionInterval, Duration.ofMillis(1), "retention interval");
        this.groupExpiry = atLeast(builder.groupExpiry, Duration.ofSeconds(1), "group expiry");
        // a stop waits for a statement in progress, a while
        this.runtime = new ReaderRuntime("durable group " + group, "pgflash-durable-" + group,
                builder.reconnectBackOff,
                atLeast(builder.standbyInterval, Duration.ofMillis(1), "standby interval"),
                pollInterval.multipliedBy(4).plusSeconds(5));
    }

    private static Duration atLeast(Duration value, Duration least, String setting) {
        if (value == null || value.compareTo(least) < 0) {
            throw new IllegalArgumentException("pgflash durable " + setting + " is " + value + "; set it to " + least
                    + " or more");
        }
        return value;
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

    /** The NOTIFY queue (which wakes consumers), this group's backlog and the expired groups. */
    @Override
    public List<Measurement> measurements() {
        return List.of(NotifyQueue.measurement(this::connections),
                Measurement.of("durable.backlog", "backlog", "Events of this consumer group not yet consumed",
                        this::backlog),
                Measurement.of("durable.expired.groups", "expiredGroups", "Consumer groups that no longer hold events"
                        + " back", this::expiredGroups));
    }

    @Override
    public Map<String, Object> healthDetails() {
        return Map.of("group", group);
    }

    private ConnectionFactory connections() {
        if (context == null) {
            throw new IllegalStateException("The durable driver has not started");
        }
        return context.connections();
    }

    /**
     * Groups not seen for longer than the expiry, which no longer hold events back; read from the database, so a
     * standby instance reports them too.
     */
    public long expiredGroups() {
        try (Connection c = connections().open();
                PreparedStatement statement = c.prepareStatement(sql.countExpiredGroups())) {
            statement.setQueryTimeout(5);
            statement.setLong(1, groupExpiry.toSeconds());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new PgFlashException("Could not count the expired groups of schema " + sql.schema() + ": "
                    + e.getMessage(), e);
        }
    }

    /** How many times consumed events were cleaned up since start. */
    public long retentionPasses() {
        return retentionPasses.get();
    }

    /** Events of this group not yet consumed (rows in the event table past its cursor, numbered or not). */
    public long backlog() {
        try (Connection c = connections().open();
                PreparedStatement statement = c.prepareStatement(sql.backlog())) {
            statement.setQueryTimeout(5);
            statement.setString(1, group);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new PgFlashException("Could not read the backlog of group " + group + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void start(DriverContext driverContext) {
        runtime.awaitPreviousReader();
        this.context = driverContext;
        SchemaLock.inTransaction(driverContext.connections(), sql.schema(), "install the durable pgflash schema "
                + sql.schema(), c -> {
                    try (Statement statement = c.createStatement()) {
                        for (String each : sql.installStatements()) {
                            statement.execute(each);
                        }
                    }
                    cutBeforeJoining(c);
                    try (PreparedStatement statement = c.prepareStatement(sql.joinGroup())) {
                        statement.setString(1, group);
                        statement.setLong(2, groupExpiry.toSeconds());
                        statement.execute();
                    }
                    reconcile(c);
                    loadCaptures(c);
                    logWhenWritersCannotNotify(c);
                });
        // the schema's length keeps "a:b" with group "c" apart from "a" with group "b:c"
        leadership = new GroupLeadership(driverContext.connections(),
                "durable:" + sql.schema().length() + ":" + sql.schema() + ":" + group);
        try {
            runtime.start(eventSink -> {
                sink = eventSink;
                return new Reader();
            }, leadership, driverContext.sink(), driverContext.observer());
        } catch (SQLException e) {
            throw new PgFlashException("Could not open the durable consumer's connection: " + e.getMessage(), e);
        }
        startHeartbeat();
    }

    /**
     * Tells other instances, every quarter of the group expiry (at most a minute), that this group is alive, from a
     * thread of its own: a reader waiting on its listeners (the block policy retrying an event) still counts, and
     * the group's events must not be deleted under it.
     */
    private void startHeartbeat() {
        Duration every = Collections.min(List.of(groupExpiry.dividedBy(4), Duration.ofMinutes(1)));
        heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pgflash-durable-heartbeat-" + group);
            thread.setDaemon(true);
            return thread;
        });
        heartbeat.scheduleWithFixedDelay(() -> {
            if (!runtime.readerAlive()) {
                return; // a reader that ended does not hold events back
            }
            try (Connection c = context.connections().open();
                    PreparedStatement statement = c.prepareStatement(sql.heartbeat())) {
                statement.setString(1, group);
                statement.executeUpdate();
            } catch (SQLException | RuntimeException e) {
                log.debug("Durable group {} could not say it is alive: {}", group, e.getMessage());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Reads the tables and operations the group captured when it last ran, so the first events read can be decoded:
     * the client captures its tables again only after the driver started, and their backlog must not be passed over
     * meanwhile.
     */
    private void loadCaptures(Connection c) throws SQLException {
        Map<Long, Set<Operation>> wanted = new LinkedHashMap<>();
        try (PreparedStatement statement = c.prepareStatement(sql.groupCaptures())) {
            statement.setString(1, group);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    wanted.computeIfAbsent(rs.getLong(1), oid -> EnumSet.noneOf(Operation.class))
                            .add(Operation.valueOf(rs.getString(2)));
                }
            }
        }
        Map<Long, String> layouts = new LinkedHashMap<>();
        try (PreparedStatement statement = c.prepareStatement(sql.groupLayouts())) {
            statement.setString(1, group);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    layouts.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        for (Map.Entry<Long, Set<Operation>> each : wanted.entrySet()) {
            try {
                long oid = each.getKey();
                captures.put(oid, new CapturedTable(context.catalog().describe(c, oid),
                        RowLayouts.layout(context.catalog().droppedSlots(c, oid)), layouts.get(oid), each.getValue()));
            } catch (PgFlashException gone) {
                log.debug("Durable group {}: a table it captured is gone: {}", group, gone.getMessage());
            }
        }
    }

    /**
     * Records that this group wants {@code operations} of the table, even while it is down, and syncs triggers. Only
     * the reading instance narrows what the group captures: a standby's subscriptions add what they need but do not
     * take away what the reading one gets, and are captured again when it takes over.
     */
    @Override
    public void capture(TableMetadata table, Set<Operation> operations) {
        if (operations.isEmpty()) {
            captures.remove(table.oid());
            wanted.remove(table.oid());
        } else {
            CapturedTable loaded = captures.get(table.oid());
            captures.put(table.oid(), loaded != null ? loaded.withOperations(operations)
                    : new CapturedTable(table, operations));
        }
        boolean reading = leadership.held();
        SchemaLock.inTransaction(context.connections(), sql.schema(), "capture " + operations + " on "
                + table.name(), c -> {
                    if (reading) {
                        try (PreparedStatement delete = c.prepareStatement(sql.deleteCaptures())) {
                            delete.setString(1, group);
                            delete.setLong(2, table.oid());
                            delete.executeUpdate();
                        }
                    }
                    insertCaptures(c, table.oid(), operations);
                    reconcile(c);
                });
        if (!operations.isEmpty()) {
            wanted.put(table.oid(), Set.copyOf(operations));
        }
    }

    /** Adds the group's captures of the table's operations (those it has stay). */
    private void insertCaptures(Connection c, long relid, Set<Operation> operations) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(sql.insertCapture())) {
            for (Operation operation : operations) {
                insert.setString(1, group);
                insert.setLong(2, relid);
                insert.setString(3, operation.name());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /**
     * Cuts a round of everything committed so far (in the caller's transaction, under the round lock), so a new
     * group, which starts at the end of the rounds, starts after all of it and not at the last round a reader cut.
     */
    private void cutBeforeJoining(Connection c) throws SQLException {
        try (PreparedStatement cut = prepareCut(c, Long.MAX_VALUE)) { // as a reader at the end of the rounds
            cut.execute();
        }
    }

    /**
     * Takes the schema's round lock in {@code c}'s transaction, so rounds follow each other, and prepares the cut for a
     * reader at {@code readerAt}.
     */
    private PreparedStatement prepareCut(Connection c, long readerAt) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement(sql.lockRounds())) {
            lock.setString(1, sql.schema());
            lock.execute();
        }
        PreparedStatement cut = c.prepareStatement(sql.cutRound());
        cut.setLong(1, readerAt);
        cut.setString(2, group);
        return cut;
    }

    private void logWhenWritersCannotNotify(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT current_setting('max_prepared_transactions')::int")) {
            rs.next();
            if (rs.getInt(1) > 0) {
                log.info("Durable group {}: this server can prepare transactions (max_prepared_transactions = {}),"
                        + " and PostgreSQL will not prepare one that sent a NOTIFY, so writers do not wake an idle"
                        + " consumer: it looks for new events every poll interval ({})", group, rs.getInt(1),
                        pollInterval);
            }
        }
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
        if (heartbeat != null) {
            heartbeat.shutdownNow();
        }
        runtime.stop();
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
        wanted.clear(); // the next start captures its subscriptions' tables again
    }

    @Override
    public DriverState state() {
        return runtime.state();
    }

    @Override
    public Optional<GroupRole> groupRole() {
        return Optional.of(runtime.role());
    }

    /**
     * Resumes from the group's saved cursor with this instance's tables captured again (the instance that read
     * before may have stopped capturing some).
     */
    private void takeTurn() throws SQLException {
        cursor = readCursor();
        captureWanted();
        savedCursor = cursor;
        skippedThrough = 0; // found from this instance's own cursor, which the group's replaces
        confirmed.accumulateAndGet(cursor, Math::max);
        log.debug("Durable group {}: this instance resumes from position {}", group, cursor);
    }

    /**
     * Captures this instance's tables again: the instance that read before may have stopped capturing some. One that
     * cannot be (dropped since, say) is logged and left out rather than keeping this instance from reading.
     */
    private void captureWanted() {
        for (Map.Entry<Long, Set<Operation>> table : Map.copyOf(wanted).entrySet()) {
            try {
                SchemaLock.inTransaction(context.connections(), sql.schema(), "capture table " + table.getKey()
                        + " for group " + group, c -> {
                            insertCaptures(c, table.getKey(), table.getValue());
                            reconcile(c);
                        });
            } catch (RuntimeException e) {
                log.warn("Durable group {}: could not capture table {} again on taking over: {}", group,
                        table.getKey(), e.getMessage());
                wanted.remove(table.getKey());
            }
        }
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

    /**
     * The group's reader: it opens a connection (taking the group's cursor over when it gets the turn), reads the
     * next batch of the current round or waits for work, saves the cursor every {@link #CURSOR_SAVE_INTERVAL} and
     * deletes consumed events every retention interval. It listens only while it waits: a session that LISTENs but
     * is not read would hold the server's NOTIFY queue back.
     */
    private final class Reader implements ReadingSession {

        private long lastRetention;
        private long lastSave;

        @Override
        public void open(Opening opening) throws SQLException {
            connection = context.connections().open();
            round = null; // its cursor was the old session's; the group's cursor reopens it
            if (opening != Opening.RECONNECT) {
                takeTurn();
            }
        }

        @Override
        public boolean readBatch() throws SQLException, InterruptedException {
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
            return delivered > 0;
        }

        @Override
        public void chores(boolean idle) throws SQLException {
            if (System.nanoTime() - lastRetention > retentionInterval.toNanos()) {
                deleteConsumed();
                lastRetention = System.nanoTime();
            }
        }

        @Override
        public void abort() {
            closeQuietly(connection);
            connection = null;
        }

        @Override
        public void ended() {
            abort();
        }
    }

    /**
     * Hands the next batch of the current round (opening the next round, or cutting one, when it is read) to the sink,
     * which waits while subscribers are full. Returns how many event rows there were.
     */
    private int deliverNext() throws SQLException, InterruptedException {
        boolean opened = round != null || openNextRound();
        handOverGaps();
        if (!opened) {
            return 0;
        }
        Round reading = round;
        List<Row> rows = reading.cursorOpen || reading.events - reading.read > batchSize
                ? fetchThroughCursor(reading)
                : fetchAtOnce(reading);
        if (!runtime.running()) {
            return 0; // stopped while fetching: a new run must not get what this one read
        }
        for (Row row : rows) {
            long position = reading.firstPosition + reading.read;
            CapturedTable capture = captures.get(row.relid);
            List<ChangeEvent> events = List.of();
            if (capture != null) {
                try {
                    events = capture.events(Notification.operation(row.op), row.xid32(), row.stamp, row.items(),
                            position, context);
                } catch (RuntimeException e) {
                    keepUnreadable(row, position, capture, e);
                }
            }
            sink.accept(events, new Position(position, 0));
            cursor = position;
            reading.read++;
        }
        if (rows.isEmpty() && reading.read < reading.events) {
            skipDeleted(reading.lastPosition());
            handOverGaps();
            reading.read = reading.events;
        }
        if (reading.read >= reading.events) {
            closeRound(reading);
        }
        return rows.size();
    }

    /**
     * Keeps an event that could not be decoded as a dead letter with its text as written, and tells the listeners of
     * the gap, before the group moves past it.
     */
    private void keepUnreadable(Row row, long position, CapturedTable capture, RuntimeException error)
            throws SQLException, InterruptedException {
        String table = capture.table().name().toString();
        Operation operation = Notification.operation(row.op);
        try (PreparedStatement insert = connection.prepareStatement(sql.insertDeadLetter())) {
            insert.setString(1, group);
            insert.setString(2, UNREADABLE);
            insert.setString(3, new Position(position, 0).toString());
            insert.setString(4, table);
            insert.setString(5, operation.name());
            insert.setString(6, row.body);
            insert.setString(7, String.valueOf(error.getMessage()));
            insert.executeUpdate();
        }
        log.error("Durable group {} could not read event {} ({} on {}): {}; it is kept in {}.dead_letters", group,
                position, operation, table, error.getMessage(), sql.schema(), error);
        sink.gap(new StreamGap("event " + position + " (" + operation + " on " + table + ") could not be"
                + " read: " + error.getMessage() + "; its row as written is kept in " + sql.schema()
                + ".dead_letters", Instant.now()));
    }

    /** A round that fits one batch, in one query (after the events read before a restart). */
    private List<Row> fetchAtOnce(Round reading) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql.fetchFirst())) {
            int next = reading.bindSnapshots(statement);
            statement.setInt(next, batchSize);
            statement.setLong(next + 1, reading.read);
            return rows(statement);
        }
    }

    /** The next batch of a large round, through a cursor sorted once when the round is opened. */
    private List<Row> fetchThroughCursor(Round reading) throws SQLException {
        if (!reading.cursorOpen) {
            try (PreparedStatement statement = connection.prepareStatement(sql.openRound())) {
                reading.bindSnapshots(statement);
                statement.execute();
            }
            reading.cursorOpen = true;
            if (reading.read > 0) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(sql.skipInRound(reading.read));
                }
            }
        }
        try (PreparedStatement statement = connection.prepareStatement(sql.fetchFromRound(batchSize))) {
            return rows(statement);
        }
    }

    private static List<Row> rows(PreparedStatement statement) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                rows.add(new Row(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getTimestamp(4).toInstant(),
                        rs.getString(5)));
            }
        }
        return rows;
    }

    private void closeRound(Round reading) throws SQLException {
        round = null;
        if (reading.cursorOpen) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(sql.closeRound());
            }
        }
    }

    /**
     * Opens the first round with events past the cursor; when there is none, cuts one from the transactions that
     * committed since the last. Returns false when nothing new has committed.
     */
    private boolean openNextRound() throws SQLException {
        if (!findNextRound()) {
            return false;
        }
        if (!roundColumns.equals(knownColumns)) {
            describeCapturedTables();
            knownColumns = roundColumns;
        }
        return true;
    }

    /**
     * Describes the captured tables again when the round's digest of their columns differs from the last one seen (a
     * rename, a type change, a drop, an add), so the round's rows, all committed before it was cut, are read with a
     * description at least as new as theirs. Such changes are rare: every table is described again.
     */
    private void describeCapturedTables() throws SQLException {
        for (CapturedTable capture : captures.values()) {
            try {
                capture.describeAgain(connection, context.catalog());
            } catch (PgFlashException gone) {
                log.debug("Durable group {}: a table it captured is gone: {}", group, gone.getMessage());
            }
        }
    }

    private boolean findNextRound() throws SQLException {
        long roundsEndAt = cursor;
        while (round == null) {
            try (PreparedStatement statement = connection.prepareStatement(sql.roundAfter())) {
                statement.setString(1, group);
                statement.setLong(2, cursor);
                try (ResultSet rs = statement.executeQuery()) {
                    if (rs.next()) {
                        round = Round.at(rs, 1, cursor);
                        roundColumns = String.valueOf(rs.getString(5));
                        if (round.firstPosition > cursor + 1) {
                            skipDeleted(round.firstPosition - 1);
                        }
                        return true;
                    }
                }
            }
            if (roundsEndAt > cursor) {
                // rounds reached past the cursor when the last cut was tried, and none of them is left unpurged
                skipDeleted(roundsEndAt);
            }
            roundsEndAt = cutRound();
            if (round == null && roundsEndAt <= cursor) {
                return false;
            }
        }
        return true;
    }

    /**
     * Moves past events other groups' retention deleted while this group was gone longer than the group expiry,
     * and tells the listeners.
     */
    private void skipDeleted(long through) {
        log.warn("Durable group {}: events {} to {} were deleted before it read them (it was gone longer than the"
                + " group expiry)", group, cursor + 1, through);
        gaps.add(new StreamGap("durable group " + group + " was gone longer than the group expiry: events "
                + (cursor + 1) + " to " + through + " were deleted before it read them", Instant.now()));
        cursor = through;
        skippedThrough = through;
    }

    /**
     * Tells the listeners of gaps found since, before any later event (not while armed: it may wait for them), and
     * lets the group's cursor pass deleted events once everything before them is handled, even if nothing follows.
     */
    private void handOverGaps() throws InterruptedException {
        while (!gaps.isEmpty()) {
            sink.gap(gaps.remove(0));
        }
        if (skippedThrough > 0) {
            sink.accept(List.of(), new Position(skippedThrough, 0));
            skippedThrough = 0;
        }
    }

    /**
     * Cuts a round under the schema's round lock, so rounds follow each other, and opens it if the group's cursor is
     * at the end of the last round. Returns the end position of the rounds before it (past the cursor when another
     * group cut one meanwhile, left for {@link #openNextRound()} to find).
     */
    private long cutRound() throws SQLException {
        connection.setAutoCommit(false);
        try {
            long lastEnd;
            try (PreparedStatement cut = prepareCut(connection, cursor); ResultSet rs = cut.executeQuery()) {
                rs.next();
                lastEnd = rs.getLong(1);
                if (rs.getString(2) != null) {
                    round = Round.at(rs, 2, cursor);
                    roundColumns = String.valueOf(rs.getString(6));
                }
            }
            connection.commit();
            return lastEnd;
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /**
     * After a few quick looks, arms the wake-up by taking the wake-up lock, which it gets only once no writer is
     * between its check of the lock and its commit (such a writer sends no NOTIFY); one more look then finds what
     * those wrote (handed over after disarming), and the consumer waits for a NOTIFY or the poll interval. While
     * writers hold the lock (or another group's idle consumer does, whose arming wakes this one too), it looks again
     * soon, backing off, and returns to the reader's chores after a whole poll interval.
     */
    private void waitForWork() throws SQLException, InterruptedException {
        for (int look = 0; look < LOOKS_BEFORE_ARMING; look++) {
            TimeUnit.MILLISECONDS.sleep(PACING.toMillis());
            if (deliverNext() > 0) {
                return;
            }
        }
        saveCursor(connection);
        if (!recordLayouts()) {
            return;
        }
        // listening only while it waits: a session that LISTENs but is not read (the reader held up by its
        // listeners) would fill its socket with wake-ups meant for other groups, and then hold the NOTIFY queue back
        setListening(true);
        boolean letGoUnwoken;
        try {
            letGoUnwoken = awaitWork();
        } catch (SQLException | InterruptedException | RuntimeException e) {
            undoAfter(e, () -> setListening(false));
            throw e;
        }
        setListening(false);
        if (letGoUnwoken) {
            wakeOtherGroups();
        }
    }

    /**
     * Tells the other groups' consumers of this schema, which may wait on the wake-up lock this one just let go of,
     * to try to arm: while nobody holds it, writers notify nobody. Sent after UNLISTEN, so it does not wake this one.
     */
    private void wakeOtherGroups() throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_notify(?, '')")) {
            statement.setString(1, sql.channel());
            statement.execute();
        }
    }

    private interface SqlAction {
        void run() throws SQLException;
    }

    /** Undoes something after a failure, keeping the failure (not the undo's own, on a broken connection). */
    private static void undoAfter(Exception failure, SqlAction undo) {
        try {
            undo.run();
        } catch (SQLException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private void setListening(boolean listening) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute((listening ? "LISTEN " : "UNLISTEN ") + io.pgflash.core.TableName.quote(sql.channel()));
        }
    }

    /**
     * Arms and waits, or looks again and again. It only looks: what it finds is handed over after it stops listening.
     * Returns true when it held the wake-up lock and let go without a wake-up, which other groups did not hear.
     */
    private boolean awaitWork() throws SQLException, InterruptedException {
        long wait = PACING.toMillis();
        while (runtime.running()) {
            if (arm()) {
                boolean woken = false;
                try {
                    // only look: handing events over may wait for listeners, and every writer notifies while armed
                    if (round == null && !openNextRound()) {
                        woken = awaitWakeUp(pollInterval.toMillis());
                    }
                } catch (SQLException | RuntimeException e) {
                    undoAfter(e, this::disarm);
                    throw e;
                }
                disarm();
                return !woken;
            }
            if (round != null || openNextRound() || awaitWakeUp(wait) || wait == pollInterval.toMillis()) {
                return false; // after a whole poll interval too: the reader's chores (cursor, retention, turn) are due
            }
            wait = Math.min(wait * 2, pollInterval.toMillis());
        }
        return false;
    }

    /**
     * Records the layout of tables described since it was last recorded, if no event is left unread once they are
     * described (so every later row was written in that layout or a newer one). Returns false when there were new
     * events to read first.
     */
    private boolean recordLayouts() throws SQLException {
        List<CapturedTable> pending = captures.values().stream().filter(CapturedTable::layoutToRecord).toList();
        if (pending.isEmpty() || savedCursor < cursor) {
            return true; // events read but not yet confirmed would be read again after a crash: record later
        }
        Map<CapturedTable, String> layouts = new LinkedHashMap<>();
        for (CapturedTable each : pending) {
            try {
                layouts.put(each, each.describeAgain(connection, context.catalog()));
            } catch (PgFlashException gone) {
                each.readEverythingOf(null); // the table was dropped: its remaining rows are read as they are
            }
        }
        if (round != null || openNextRound()) {
            return false;
        }
        try (PreparedStatement statement = connection.prepareStatement(sql.saveLayout())) {
            for (Map.Entry<CapturedTable, String> each : layouts.entrySet()) {
                statement.setString(1, group);
                statement.setLong(2, each.getKey().table().oid());
                statement.setString(3, each.getValue());
                statement.addBatch();
            }
            statement.executeBatch();
        }
        layouts.forEach(CapturedTable::readEverythingOf);
        return true;
    }

    /**
     * Waits up to {@code millis} for a NOTIFY, in slices so a stop is not held up by a long poll interval. Returns
     * whether one came.
     */
    private boolean awaitWakeUp(long millis) throws SQLException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        PGConnection listening = connection.unwrap(PGConnection.class);
        long left = millis;
        while (runtime.running() && left > 0) {
            PGNotification[] woken = listening.getNotifications((int) Math.min(left, STOP_CHECK.toMillis()));
            if (woken != null && woken.length > 0) {
                return true;
            }
            left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        }
        return false;
    }

    private boolean arm() throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql.arm())) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private void disarm() throws SQLException {
        if (connection != null) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(sql.disarm());
            }
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

    /**
     * Deletes the events of rounds every live group has read, in batches of {@value DurableSql#RETENTION_BATCH} so no
     * lock is held long, then forgets those rounds. Also tells other instances this group is alive.
     */
    private void deleteConsumed() throws SQLException {
        long expirySeconds = groupExpiry.toSeconds();
        try (PreparedStatement statement = connection.prepareStatement(sql.saveCursor())) {
            statement.setLong(1, savedCursor);
            statement.setString(2, group);
            statement.executeUpdate();
        }
        List<String> expired = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql.expiredGroups())) {
            statement.setLong(1, expirySeconds);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    expired.add(rs.getString(1));
                }
            }
        }
        if (expired.size() != expiredLogged.getAndSet(expired.size()) && !expired.isEmpty()) {
            log.warn("Consumer groups {} were not seen for their expiry and no longer hold events back", expired);
        }
        long consumedRound;
        String snapshot;
        try (PreparedStatement statement = connection.prepareStatement(sql.consumedRound())) {
            statement.setLong(1, expirySeconds);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    retentionPasses.incrementAndGet();
                    return;
                }
                consumedRound = rs.getLong(1);
                snapshot = rs.getString(2);
            }
        }
        int deleted;
        do {
            try (PreparedStatement statement = connection.prepareStatement(sql.deleteConsumed())) {
                statement.setString(1, snapshot);
                statement.setString(2, snapshot);
                deleted = statement.executeUpdate();
            }
        } while (deleted == DurableSql.RETENTION_BATCH && runtime.running());
        if (deleted < DurableSql.RETENTION_BATCH) {
            for (String purge : sql.purgeRounds()) {
                try (PreparedStatement statement = connection.prepareStatement(purge)) {
                    statement.setLong(1, consumedRound);
                    statement.executeUpdate();
                }
            }
        }
        retentionPasses.incrementAndGet();
    }

    /** An event-table row: one changed row (in the older layout, one statement's). */
    private record Row(String xid, long relid, String op, Instant stamp, String body) {

        /** The row's change item; rows of the older per-statement layout hold several, length-prefixed. */
        List<String> items() {
            if (body.isEmpty()) {
                return List.of();
            }
            return Character.isDigit(body.charAt(0)) ? Notification.items(body, 0) : List.of(body);
        }

        /** The 32-bit transaction id, as pgoutput and the notify mode report it. */
        long xid32() {
            return Long.parseLong(xid) & 0xFFFF_FFFFL;
        }
    }

    private static int bytes(String name) {
        return name.getBytes(StandardCharsets.UTF_8).length;
    }

    /** A round being read: its events are numbered from {@code firstPosition} in id order. */
    private static final class Round {
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

        /** Binds the round's snapshots to the first four parameters; returns the next parameter's index. */
        int bindSnapshots(PreparedStatement statement) throws SQLException {
            statement.setString(1, cutAgainst);
            statement.setString(2, snapshot);
            statement.setString(3, cutAgainst);
            statement.setString(4, snapshot);
            return 5;
        }

        /** The round in the four columns from {@code column}: snapshot, cut against, first position, events. */
        static Round at(ResultSet rs, int column, long cursor) throws SQLException {
            return new Round(rs.getString(column), rs.getString(column + 1), rs.getLong(column + 2),
                    rs.getLong(column + 3), cursor);
        }

        long lastPosition() {
            return firstPosition + events - 1;
        }
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

        /** Event-table rows (one per changed row) fetched at once (default 200). */
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
