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
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.driver.Measurement;
import io.pgflash.core.driver.NotifyQueue;
import io.pgflash.core.driver.ReaderRuntime;
import io.pgflash.core.driver.ReadingSession;
import io.pgflash.core.internal.Durations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures changes with statement-level triggers that send rows through LISTEN/NOTIFY. Works on any PostgreSQL
 * (no replication rights needed); events committed while no session listens are not kept (see the durable mode).
 * <p>
 * One dedicated connection listens. It is checked when idle, so a silently dead connection is noticed; on loss the
 * driver reconnects with back-off, re-registers its tables and tells listeners about the gap.
 */
public final class NotifyDriver implements ChangeDriver {

    private static final Logger log = LoggerFactory.getLogger(NotifyDriver.class);
    /** Starts a snapshot chunk's watermark payload (the trigger's payloads start with a number). */
    private static final String WATERMARK = "W|";
    private static final Duration OVERFLOW_CLEANUP_INTERVAL = Duration.ofMinutes(5);
    /** The {@code application_name} of the listening session. */
    public static final String LISTENER_APPLICATION_NAME = "pgflash-listener";

    private final TriggerSql sql;
    private final Duration pollInterval;
    private final Duration connectionCheckInterval;
    private final ReaderRuntime runtime;
    private final Duration overflowRetention;
    private final boolean removeSchemaOnShutdown;
    /** Identifies the current listening session, which holds an advisory lock on it while alive; new per session. */
    private volatile long token;
    /** The current listening session's server process and start, to end it if it outlives its connection. */
    private int listenerPid;
    private java.sql.Timestamp listenerStart;
    private final Map<Long, CapturedTable> captures = new ConcurrentHashMap<>();

    private volatile DriverContext context;
    private TriggerInstaller installer;
    private PayloadSignature signature;
    /** Registration changes from capture() and from the reader's reconnect must not interleave. */
    private final Object registrationLock = new Object();
    private volatile Connection listening;
    private EventSink sink;
    private long notificationSequence;

    private NotifyDriver(Builder builder) {
        this.sql = new TriggerSql(builder.schema);
        this.pollInterval = builder.pollInterval;
        this.connectionCheckInterval = builder.connectionCheckInterval;
        // a stop waits for one wait for notifications, and for a connection check
        this.runtime = new ReaderRuntime("notify channel " + builder.schema, "pgflash-notify-listener",
                builder.reconnectBackOff,
                Duration.ZERO, pollInterval.multipliedBy(4).plus(connectionCheckInterval));
        this.overflowRetention = builder.overflowRetention;
        this.removeSchemaOnShutdown = builder.removeSchemaOnShutdown;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The schema holding pgflash's objects; also the NOTIFY channel. */
    public String schema() {
        return sql.schema();
    }

    @Override
    public synchronized void start(DriverContext driverContext) {
        this.context = driverContext;
        this.installer = new TriggerInstaller(sql, driverContext.connections());
        signature = new PayloadSignature(installer.install());
        try {
            runtime.start(eventSink -> {
                sink = eventSink;
                return new Listening();
            }, null, driverContext.sink(), driverContext.observer());
        } catch (SQLException e) {
            throw new PgFlashException("Could not open the listening connection: " + e.getMessage(), e);
        }
    }

    @Override
    public void capture(TableMetadata table, Set<Operation> operations) {
        synchronized (registrationLock) {
            CapturedTable previous = operations.isEmpty() ? captures.remove(table.oid())
                    : captures.put(table.oid(), new CapturedTable(table, operations));
            try {
                installer.register(token, table.oid(), operations, table.name().toString());
            } catch (RuntimeException e) {
                if (previous == null) {
                    captures.remove(table.oid());
                } else {
                    captures.put(table.oid(), previous);
                }
                throw e;
            }
        }
    }

    @Override
    public void confirm(Position position) {
        // NOTIFY keeps nothing to confirm
    }

    /** A NOTIFY on the channel, signed as the trigger signs: queued at commit, in commit order with theirs. */
    @Override
    public void emitWatermark(Connection connection, String token) throws SQLException {
        String message = WATERMARK + token;
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            statement.setString(1, sql.channel());
            statement.setString(2, signature.mac(message) + "|" + message);
            statement.execute();
        }
    }

    @Override
    public void stop() {
        runtime.stop();
    }

    @Override
    public synchronized void close() {
        try {
            if (installer != null) {
                installer.unregisterAll(token, false);
            }
        } catch (RuntimeException e) {
            log.warn("Could not remove this session's triggers; the next start reconciles them: {}", e.getMessage());
        } finally {
            closeQuietly(listening);
            listening = null;
            captures.clear();
        }
    }

    /** Drops the schema if configured to and no other application listens: only when the client is closed. */
    @Override
    public void shutdown() {
        if (removeSchemaOnShutdown && installer != null) {
            try {
                installer.unregisterAll(token, true);
            } catch (RuntimeException e) {
                log.warn("Could not drop schema {}: {}", sql.schema(), e.getMessage());
            }
        }
    }

    @Override
    public String name() {
        return "notify";
    }

    @Override
    public DriverState state() {
        return runtime.state();
    }

    /** The NOTIFY queue's fill, which rows travel through. */
    @Override
    public List<Measurement> measurements() {
        return List.of(NotifyQueue.measurement(() -> {
            if (context == null) {
                throw new IllegalStateException("The trigger driver has not started");
            }
            return context.connections();
        }));
    }

    private Connection connectListening() throws SQLException {
        Connection connection = context.connections().open();
        long newToken = ThreadLocalRandom.current().nextLong(1, 1L << 62);
        try (Statement statement = connection.createStatement()) {
            endStaleListener(statement);
            try (ResultSet rs = statement.executeQuery("SELECT pg_try_advisory_lock(" + newToken + "),"
                    + " pg_backend_pid(), (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new SQLException("advisory lock " + newToken + " is held by another session");
                }
                listenerPid = rs.getInt(2);
                listenerStart = rs.getTimestamp(3);
            }
            // lets operators (and tests) tell the listening session apart in pg_stat_activity
            statement.execute("SET application_name = '" + LISTENER_APPLICATION_NAME + "'");
            statement.execute(sql.listenStatement());
            try (PreparedStatement session = connection.prepareStatement(sql.insertSession())) {
                session.setLong(1, newToken);
                session.execute();
            }
        } catch (SQLException e) {
            closeQuietly(connection);
            throw e;
        }
        token = newToken;
        return connection;
    }

    /**
     * A listening session whose connection died silently lives on in the server, holding back the NOTIFY queue's
     * clean-up until TCP gives up on it (hours); end it.
     */
    private void endStaleListener(Statement statement) throws SQLException {
        if (listenerStart == null) {
            return;
        }
        try (PreparedStatement terminate = statement.getConnection().prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ? AND backend_start = ?")) {
            terminate.setInt(1, listenerPid);
            terminate.setTimestamp(2, listenerStart);
            try (ResultSet rs = terminate.executeQuery()) {
                if (rs.next() && rs.getBoolean(1)) {
                    log.info("Ended the previous listening session (pid {}), which outlived its connection", listenerPid);
                }
            }
        }
    }

    /**
     * The listening session: it waits for notifications a poll interval at a time, checks an idle connection (a
     * silently dead one only shows when talked to), and on reconnect registers its tables again under the new
     * session's token and reports the gap.
     */
    private final class Listening implements ReadingSession {

        private long lastCheck = System.nanoTime();
        private long lastCleanup;

        @Override
        public void open(Opening opening) throws SQLException, InterruptedException {
            long previousToken = token;
            listening = connectListening();
            lastCheck = System.nanoTime();
            if (opening == Opening.FIRST || !runtime.running()) {
                return; // nothing to register again, or stopping: the stop's close() unregisters
            }
            synchronized (registrationLock) {
                for (CapturedTable capture : captures.values()) {
                    installer.register(token, capture.table().oid(), capture.operations(),
                            capture.table().name().toString());
                }
                installer.unregisterAll(previousToken, false);
            }
            sink.gap(new StreamGap("the listening connection was lost; changes committed while reconnecting were not"
                    + " received", Instant.now()));
        }

        @Override
        public boolean readBatch() throws SQLException, InterruptedException {
            PGNotification[] notifications = listening.unwrap(PGConnection.class)
                    .getNotifications((int) pollInterval.toMillis());
            if (notifications == null || notifications.length == 0) {
                return false;
            }
            handle(notifications);
            lastCheck = System.nanoTime();
            return true;
        }

        @Override
        public void chores(boolean idle) throws SQLException {
            if (idle && System.nanoTime() - lastCheck > connectionCheckInterval.toNanos()) {
                if (!listening.isValid((int) Math.max(1, connectionCheckInterval.toSeconds()))) {
                    throw new SQLException("the listening connection does not answer");
                }
                lastCheck = System.nanoTime();
            }
            if (lastCleanup == 0 || System.nanoTime() - lastCleanup > OVERFLOW_CLEANUP_INTERVAL.toNanos()) {
                deleteOldOverflow();
                lastCleanup = System.nanoTime();
            }
        }

        @Override
        public void abort() {
            closeQuietly(listening);
            listening = null;
        }

        /** Stopped: no listening session is left behind, even one opened while the stop waited. */
        @Override
        public void ended() {
            abort();
        }
    }

    private void handle(PGNotification[] notifications) throws SQLException, InterruptedException {
        for (PGNotification notification : notifications) {
            if (!notification.getName().equals(sql.channel())) {
                continue;
            }
            String message = signature.verify(notification.getParameter());
            if (message == null) {
                log.warn("Ignored a notification on channel {} that pgflash did not sign (sent by backend pid {})",
                        sql.channel(), notification.getPID());
                continue;
            }
            if (message.startsWith(WATERMARK)) {
                sink.watermark(message.substring(WATERMARK.length()), new Position(++notificationSequence, 0));
                continue;
            }
            List<ChangeEvent> events;
            long sequence;
            try {
                Notification parsed = Notification.parse(message);
                CapturedTable capture = captures.get(parsed.relid());
                if (capture == null) {
                    continue; // a table another application captures through the same schema
                }
                sequence = ++notificationSequence;
                events = decode(parsed, capture, sequence);
            } catch (RuntimeException e) {
                // one unreadable change must not cost the connection (and with it every change meanwhile)
                log.error("Skipped a change notification pgflash could not read: {}", e.getMessage(), e);
                continue;
            }
            sink.accept(events, new Position(sequence, Math.max(0, events.size() - 1)));
        }
    }

    private List<ChangeEvent> decode(Notification notification, CapturedTable capture, long sequence)
            throws SQLException {
        Instant time = Instant.EPOCH.plus(notification.statementMicros(), java.time.temporal.ChronoUnit.MICROS);
        List<String> items = notification.operation() == Operation.TRUNCATE ? List.of()
                : resolveOverflow(notification.items());
        return capture.events(notification.operation(), notification.transactionId(), time, items, sequence, context);
    }

    /** Replaces overflow references ({@code X<id>}) with the parked items; a missing one becomes null and is logged. */
    private List<String> resolveOverflow(List<String> items) throws SQLException {
        List<Long> ids = new ArrayList<>();
        for (String item : items) {
            if (item.charAt(0) == 'X') {
                ids.add(Long.parseLong(item.substring(1)));
            }
        }
        if (ids.isEmpty()) {
            return items;
        }
        Map<Long, String> parked = new HashMap<>();
        try (PreparedStatement statement = listening.prepareStatement(sql.fetchOverflow())) {
            statement.setArray(1, listening.createArrayOf("bigint", ids.toArray()));
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    parked.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        List<String> resolved = new ArrayList<>(items.size());
        for (String item : items) {
            if (item.charAt(0) == 'X') {
                String value = parked.get(Long.parseLong(item.substring(1)));
                if (value == null) {
                    log.error("Overflow row {} is gone (older than the {} retention?); its change is lost",
                            item.substring(1), overflowRetention);
                }
                resolved.add(value);
            } else {
                resolved.add(item);
            }
        }
        return resolved;
    }

    private void deleteOldOverflow() throws SQLException {
        try (PreparedStatement statement = listening.prepareStatement(sql.deleteOldOverflow())) {
            statement.setLong(1, overflowRetention.toSeconds());
            statement.executeUpdate();
        }
    }

    public static final class Builder {
        private String schema = "pgflash";
        private Duration pollInterval = Duration.ofMillis(500);
        private Duration connectionCheckInterval = Duration.ofSeconds(5);
        private BackOff reconnectBackOff = BackOff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
        private Duration overflowRetention = Duration.ofHours(1);
        private boolean removeSchemaOnShutdown;

        /** The schema for pgflash's objects (default {@code pgflash}); also the NOTIFY channel's name. */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /** How long one wait for notifications lasts (default 500 ms); bounds how fast stop() returns. */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
            return this;
        }

        /** After this long without notifications the connection is checked (default 5 s). */
        public Builder connectionCheckInterval(Duration interval) {
            this.connectionCheckInterval = Durations.atLeast(interval, Duration.ofMillis(1),
                    "notify connection check interval");
            return this;
        }

        public Builder reconnectBackOff(BackOff backOff) {
            this.reconnectBackOff = backOff;
            return this;
        }

        /** How long rows too large for a NOTIFY stay in the overflow table (default 1 hour). */
        public Builder overflowRetention(Duration retention) {
            this.overflowRetention = retention;
            return this;
        }

        /**
         * Drop the schema when the client is closed and no other application listens (default false: it stays;
         * this client's triggers go on every stop).
         */
        public Builder removeSchemaOnShutdown(boolean remove) {
            this.removeSchemaOnShutdown = remove;
            return this;
        }

        public NotifyDriver build() {
            return new NotifyDriver(this);
        }
    }
}
