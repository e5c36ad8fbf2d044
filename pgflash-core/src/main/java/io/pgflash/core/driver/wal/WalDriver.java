package io.pgflash.core.driver.wal;

import io.pgflash.core.BackOff;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.GroupLeadership;
import io.pgflash.core.driver.ReaderSink;
import io.pgflash.core.driver.Reconnects;
import io.pgflash.core.driver.wal.PgOutputMessage.Begin;
import io.pgflash.core.driver.wal.PgOutputMessage.Commit;
import io.pgflash.core.driver.wal.PgOutputMessage.LogicalMessage;
import io.pgflash.core.driver.wal.PgOutputMessage.Relation;
import io.pgflash.core.driver.wal.PgOutputMessage.StreamAbort;
import io.pgflash.core.driver.wal.PgOutputMessage.StreamCommit;
import io.pgflash.core.driver.wal.PgOutputMessage.StreamStart;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads changes from the write-ahead log through logical replication with the built-in {@code pgoutput} plugin.
 * <p>
 * A persistent slot per consumer group keeps the position across restarts and crashes: pgflash confirms a
 * transaction to the server only after every subscription handled all of it, so delivery is at-least-once and a
 * redelivered event has the same position. A heartbeat and the server's keepalives let an idle slot advance, so it
 * does not hold WAL back. The publication follows the subscriptions at run time.
 */
public final class WalDriver implements ChangeDriver {

    private static final Logger log = LoggerFactory.getLogger(WalDriver.class);
    static final String HEARTBEAT_PREFIX = "pgflash-heartbeat";
    /** Events handed to dispatch at once inside a large transaction, so memory stays bounded. */
    private static final int CHUNK = 512;

    private final WalSetup setup;
    private final Duration statusInterval;
    private final Duration heartbeatInterval;
    private final Duration connectionCheckInterval;
    private final BackOff reconnectBackOff;
    private final Duration standbyInterval;
    private final boolean replicaIdentityFull;
    private final boolean streaming;
    private final boolean dropSlotOnShutdown;
    private final AtomicLong confirmed = new AtomicLong();
    /** The tables this instance's subscriptions read, by oid: published again when it takes the group's turn. */
    private final Map<Long, TableMetadata> wanted = new ConcurrentHashMap<>();

    private DriverContext context;
    private ReaderSink sink;
    private WalEvents events;
    private Thread reader;
    private volatile boolean running;
    private volatile DriverState state = DriverState.STOPPED;
    private GroupLeadership leadership;
    /** Whether this instance had the group's turn when it last closed: only then may it drop the group's slot. */
    private boolean readingAtClose;

    // reader-thread state
    private volatile Connection replicationConnection;
    private volatile PGReplicationStream stream;
    private final PgOutputDecoder decoder = new PgOutputDecoder();
    private Begin transaction;
    private List<ChangeEvent> pending = new ArrayList<>();
    private int index;
    private final StreamedTransactions streamed = new StreamedTransactions();
    private long flushed;
    private long lastIdleConfirm;

    private WalDriver(Builder builder) {
        String group = builder.group;
        this.setup = new WalSetup(builder.slot != null ? builder.slot : derivedName(group),
                builder.publication != null ? builder.publication : derivedName(group));
        this.statusInterval = builder.statusInterval;
        this.heartbeatInterval = builder.heartbeatInterval;
        this.connectionCheckInterval = builder.connectionCheckInterval;
        this.reconnectBackOff = builder.reconnectBackOff;
        this.standbyInterval = builder.standbyInterval;
        this.replicaIdentityFull = builder.replicaIdentityFull;
        this.streaming = builder.streaming;
        this.dropSlotOnShutdown = builder.dropSlotOnShutdown;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code pgflash_} and the group in lower case, other characters as {@code _}: a valid slot name. */
    static String derivedName(String group) {
        String name = "pgflash_" + group.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    public String slotName() {
        return setup.slot();
    }

    public String publicationName() {
        return setup.publication();
    }

    @Override
    public synchronized void start(DriverContext driverContext) {
        this.context = driverContext;
        this.sink = new ReaderSink(driverContext.sink());
        this.events = new WalEvents(driverContext.catalog(), driverContext.connections());
        state = DriverState.STARTING;
        leadership = new GroupLeadership(driverContext.connections(), "wal:" + setup.slot());
        try (Connection connection = driverContext.connections().open()) {
            setup.checkPreconditions(connection);
            setup.ensurePublication(connection);
            if (leadership.tryAcquire()) {
                setup.ensureSlot(connection);
                openStream();
                state = DriverState.STREAMING;
            } else {
                state = DriverState.STANDBY;
                log.info("Slot {} is read by another instance of its group; this one stands by", setup.slot());
            }
        } catch (SQLException | RuntimeException e) {
            state = DriverState.STOPPED;
            closeStream();
            leadership.release();
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new PgFlashException("Could not start logical replication from slot " + setup.slot() + ": "
                    + e.getMessage(), e);
        }
        running = true;
        reader = new Thread(this::readLoop, "pgflash-wal-" + setup.slot());
        reader.setDaemon(true);
        reader.start();
    }

    @Override
    public void validate(SubscriptionSpec spec, TableMetadata table) {
        List<String> used = new ArrayList<>(spec.columns());
        used.addAll(spec.key().isEmpty() ? table.primaryKey() : spec.key());
        spec.conditions().forEach(condition -> used.add(condition.column()));
        for (String name : used) {
            if (table.column(name).map(Column::generated).orElse(false)) {
                throw new PgFlashException("Column " + name + " of " + table.name() + " is a generated column, which"
                        + " logical replication does not send, so the WAL driver cannot filter on it, key by it or"
                        + " deliver it: use the columns it is computed from, or the trigger driver");
            }
        }
        if (spec.needsOldRow() && table.replicaIdentity() != 'f' && !replicaIdentityFull) {
            log.warn("Subscription on {} filters, uses partial fields or splits key changes, which look at the old row,"
                    + " but the table's REPLICA IDENTITY is not FULL: old rows carry only the key, so filters are"
                    + " judged on the new row, every DELETE is delivered (its row cannot be judged) and every sent"
                    + " column counts as changed. Set REPLICA IDENTITY FULL on"
                    + " the table, or replicaIdentityFull(true) on the WAL driver.", table.name());
        }
    }

    /**
     * Adds the table to the group's publication, or removes it when no subscription of this instance reads it any
     * more; but only the reading instance removes: the publication is the group's, and a standby's subscriptions do
     * not decide what the reading one gets.
     */
    @Override
    public void capture(TableMetadata table, Set<Operation> operations) {
        boolean include = !operations.isEmpty();
        if (!include) {
            wanted.remove(table.oid());
            if (!leadership.held()) {
                return;
            }
        }
        try (Connection connection = context.connections().open()) {
            if (include && replicaIdentityFull) {
                setup.useFullReplicaIdentity(connection, table);
            }
            setup.publish(connection, table, include);
            if (include) {
                wanted.put(table.oid(), table);
            }
        } catch (SQLException e) {
            String hint = "42501".equals(e.getSQLState())
                    ? " (adding a table to a publication, or setting its REPLICA IDENTITY, takes its owner: make"
                            + " pgflash's role a member of the table's owner role, or create a publication listing the"
                            + " tables as their owner and give its name to pgflash with publicationName)"
                    : "";
            throw new PgFlashException("Could not " + (operations.isEmpty() ? "remove " : "add ") + table.name()
                    + (operations.isEmpty() ? " from" : " to") + " publication " + setup.publication() + ": "
                    + e.getMessage() + hint, e);
        }
    }

    @Override
    public void confirm(Position position) {
        confirmed.accumulateAndGet(position.major(), (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = reader;
        if (thread != null && thread != Thread.currentThread()) {
            try {
                // a reader waiting on stuck listeners is not waited for; one reading is, a while
                if (!sink.awaitEnd(thread, Duration.ofSeconds(10))) {
                    // stuck in a call that ignores interrupts: dropping the connection ends it
                    thread.interrupt();
                    abortStream();
                    thread.join(Duration.ofSeconds(5).toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        state = DriverState.STOPPED;
    }

    @Override
    public synchronized void close() {
        if (stream != null) {
            try {
                sendConfirmed();
                stream.forceUpdateStatus();
            } catch (SQLException e) {
                log.debug("Could not send the last confirmed position; the slot resumes from the previous one", e);
            }
        }
        closeStream();
        wanted.clear(); // the next start captures its subscriptions' tables again
        if (leadership != null) {
            readingAtClose = leadership.held();
            leadership.release(); // a standby takes over from the position just confirmed
        }
    }

    /**
     * Drops the slot and publication if configured to: only when the client is closed, never on a stop, and only by
     * the instance that read last (a standby of the group leaves them to it).
     */
    @Override
    public void shutdown() {
        if (dropSlotOnShutdown && context != null && readingAtClose) {
            dropSlotAndPublication();
        }
    }

    @Override
    public String name() {
        return "wal";
    }

    @Override
    public DriverState state() {
        return state;
    }

    /** The slot's lag and activity, read from the server. */
    public SlotStatus slotStatus() {
        try (Connection connection = context.connections().open()) {
            return setup.status(connection);
        } catch (SQLException e) {
            throw new PgFlashException("Could not read the status of slot " + setup.slot() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Drops the slot and the publication pgflash made. The server then no longer keeps WAL for this group, and the
     * changes it has not confirmed are gone: only call this when the group is retired. The driver must be stopped.
     */
    public void dropSlotAndPublication() {
        try (Connection connection = context.connections().open()) {
            setup.drop(connection);
        } catch (SQLException e) {
            throw new PgFlashException("Could not drop slot " + setup.slot() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Publishes this instance's tables again: the instance that read before may have removed some. One that cannot be
     * (dropped since, say) is logged and left out rather than keeping the stream from opening.
     */
    private void publishWanted() throws SQLException {
        if (wanted.isEmpty()) {
            return;
        }
        try (Connection connection = context.connections().open()) {
            for (TableMetadata table : wanted.values()) {
                try {
                    setup.publish(connection, table, true);
                } catch (SQLException | RuntimeException e) {
                    log.warn("Could not add {} to publication {} again on taking over: {}", table.name(),
                            setup.publication(), e.getMessage());
                    wanted.remove(table.oid());
                }
            }
        }
    }

    private void openStream() throws SQLException {
        replicationConnection = context.connections().openReplication();
        var builder = replicationConnection.unwrap(PGConnection.class).getReplicationAPI().replicationStream()
                .logical()
                .withSlotName(setup.slot())
                .withSlotOption("proto_version", streaming ? "2" : "1")
                .withSlotOption("publication_names", setup.publicationOption())
                .withSlotOption("messages", "true")
                .withStatusInterval((int) statusInterval.toMillis(), TimeUnit.MILLISECONDS)
                // only what listeners handled may be confirmed, never what merely arrived
                .withAutomaticFlush(false);
        if (streaming) {
            builder = builder.withSlotOption("streaming", "on");
        }
        stream = builder.start();
        decoder.reset();
        transaction = null;
        pending = new ArrayList<>();
        streamed.clear();
        flushed = 0; // report the confirmed position on the new stream too
    }

    /** Ends the stream politely (the server hears CopyDone), waiting at most a few seconds for an answer. */
    private void closeStream() {
        try {
            if (replicationConnection != null) {
                replicationConnection.setNetworkTimeout(Runnable::run, (int) Duration.ofSeconds(5).toMillis());
            }
            if (stream != null) {
                stream.close();
            }
        } catch (SQLException e) {
            log.debug("Closing the replication stream failed", e);
        }
        try {
            if (replicationConnection != null) {
                replicationConnection.close();
            }
        } catch (SQLException e) {
            log.debug("Closing the replication connection failed", e);
        }
        stream = null;
        replicationConnection = null;
    }

    /** Drops a broken or stuck connection at once: a polite close would wait on a dead peer. */
    private void abortStream() {
        Connection connection = replicationConnection;
        stream = null;
        replicationConnection = null;
        if (connection != null) {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException e) {
                log.debug("Aborting the replication connection failed", e);
            }
        }
    }

    private void readLoop() {
        Reconnects reconnects = new Reconnects(reconnectBackOff, context.observer(), log,
                "Replication from slot " + setup.slot());
        long lastHeartbeat = System.nanoTime();
        long lastCheck = System.nanoTime();
        long lastLeadershipCheck = System.nanoTime();
        while (running) {
            try {
                if (stream == null) {
                    if (!leadership.tryAcquire()) {
                        state = DriverState.STANDBY;
                        TimeUnit.MILLISECONDS.sleep(standbyInterval.toMillis());
                        continue;
                    }
                    publishWanted();
                    openStream();
                    state = DriverState.STREAMING;
                    reconnects.connected();
                } else if (System.nanoTime() - lastLeadershipCheck > standbyInterval.toNanos()) {
                    lastLeadershipCheck = System.nanoTime();
                    if (!leadership.stillHeld()) {
                        log.warn("Slot {}: this instance lost its turn (its lock session ended) and stands by",
                                setup.slot());
                        abortStream();
                        state = DriverState.STANDBY;
                        continue;
                    }
                }
                ByteBuffer message = stream.readPending();
                sendConfirmed();
                if (message == null) {
                    confirmWhenIdle();
                    if (heartbeatInterval.toNanos() > 0 && System.nanoTime() - lastHeartbeat > heartbeatInterval.toNanos()) {
                        heartbeat();
                        lastHeartbeat = System.nanoTime();
                    }
                    if (System.nanoTime() - lastCheck > connectionCheckInterval.toNanos()) {
                        checkStillServed();
                        lastCheck = System.nanoTime();
                    }
                    TimeUnit.MILLISECONDS.sleep(1);
                    continue;
                }
                handle(decoder.decode(message));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                state = DriverState.RECONNECTING;
                abortStream();
                if (!reconnects.failed(e)) {
                    return;
                }
            }
        }
        // the stream stays open: close() reports the final confirmed position once listeners are done
    }

    private void handle(PgOutputMessage message) throws SQLException, InterruptedException {
        if (message instanceof Begin begin) {
            transaction = begin;
            index = 0;
        } else if (message instanceof Commit commit) {
            flushPending(new Position(commit.endLsn(), 0));
            transaction = null;
        } else if (message instanceof Relation relation && !streamed.inStream()) {
            events.relation(relation);
        } else if (message instanceof LogicalMessage logical) {
            if (!logical.transactional() && HEARTBEAT_PREFIX.equals(logical.prefix())) {
                sink.accept(List.of(), new Position(logical.lsn(), 0));
            }
        } else if (message instanceof StreamStart start) {
            streamed.start(start.xid());
        } else if (message instanceof PgOutputMessage.StreamStop) {
            streamed.stop();
        } else if (message instanceof StreamCommit commit) {
            deliverStreamed(commit);
        } else if (message instanceof StreamAbort abort) {
            streamed.abort(abort.xid(), abort.subXid());
        } else if (message instanceof PgOutputMessage.Ignored) {
            return;
        } else if (streamed.inStream()) {
            streamed.add(message);
        } else {
            addChanges(message, transaction.finalLsn(), transaction.xid(), WalEvents.time(transaction.commitMicros()));
        }
    }

    private void addChanges(PgOutputMessage change, long commitLsn, long xid, Instant time)
            throws InterruptedException {
        addDecoded(events.events(change, commitLsn, index, Integer.toUnsignedLong((int) xid), time));
    }

    private void addDecoded(List<ChangeEvent> decoded) throws InterruptedException {
        index += decoded.size();
        pending.addAll(decoded);
        if (pending.size() >= CHUNK) {
            flushPending(null);
        }
    }

    /**
     * A streamed transaction committed: its changes go out now, in order, without the aborted subtransactions', each
     * decoded with the table shape the transaction itself described.
     */
    private void deliverStreamed(StreamCommit commit) throws SQLException, InterruptedException {
        index = 0;
        Instant time = WalEvents.time(commit.commitMicros());
        Map<Integer, WalEvents.RelationInfo> shapes = new HashMap<>();
        for (PgOutputMessage message : streamed.commit(commit.xid())) {
            if (message instanceof Relation relation) {
                shapes.put(relation.relid(), events.describe(relation));
            } else {
                List<ChangeEvent> decoded = events.events(message, commit.commitLsn(), index,
                        Integer.toUnsignedLong(commit.xid()), time, shapes);
                addDecoded(decoded);
            }
        }
        events.adopt(shapes);
        flushPending(new Position(commit.endLsn(), 0));
    }

    private void flushPending(Position upTo) throws InterruptedException {
        List<ChangeEvent> batch = pending;
        pending = new ArrayList<>();
        sink.accept(batch, upTo);
    }

    /**
     * Between transactions, everything the server sent is decoded; once the sink has handled it all, the server's
     * last position (from keepalives) may be confirmed, so a quiet slot does not hold WAL back.
     */
    private void confirmWhenIdle() throws InterruptedException {
        if (transaction != null || streamed.hasOpen()) {
            return;
        }
        long received = stream.getLastReceiveLSN().asLong();
        if (Long.compareUnsigned(received, lastIdleConfirm) > 0) {
            lastIdleConfirm = received;
            sink.accept(List.of(), new Position(received, 0));
        }
    }

    private void sendConfirmed() {
        long value = confirmed.get();
        if (Long.compareUnsigned(value, flushed) > 0) {
            LogSequenceNumber lsn = LogSequenceNumber.valueOf(value);
            stream.setFlushedLSN(lsn);
            stream.setAppliedLSN(lsn);
            flushed = value;
        }
    }

    /**
     * A silently dead connection shows nothing on this side: the server ends its walsender after wal_sender_timeout,
     * and from then on the slot is no longer streamed to this connection's backend.
     */
    private void checkStillServed() throws SQLException {
        int ours = replicationConnection.unwrap(PGConnection.class).getBackendPID();
        Integer served = slotBackend();
        if (served != null && served != ours) {
            throw new SQLException("slot " + setup.slot() + " is no longer streamed to this connection (backend "
                    + ours + "); the connection is dead");
        }
    }

    /** The backend streaming the slot now (0 when none), or null when the server cannot be asked. */
    private Integer slotBackend() {
        try (Connection connection = context.connections().open();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, setup.slot());
            try (java.sql.ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        } catch (SQLException e) {
            log.debug("Could not check the replication connection: {}", e.getMessage());
            return null;
        }
    }

    private void heartbeat() {
        try (Connection connection = context.connections().open();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT pg_logical_emit_message(false, ?, '')")) {
            statement.setString(1, HEARTBEAT_PREFIX);
            statement.execute();
        } catch (SQLException e) {
            log.warn("Heartbeat for slot {} failed: {}", setup.slot(), e.getMessage());
        }
    }

    public static final class Builder {
        private String group = "default";
        private String slot;
        private String publication;
        private Duration statusInterval = Duration.ofSeconds(1);
        private Duration heartbeatInterval = Duration.ofSeconds(10);
        private Duration connectionCheckInterval = Duration.ofSeconds(10);
        private BackOff reconnectBackOff = BackOff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
        private Duration standbyInterval = Duration.ofSeconds(1);
        private boolean replicaIdentityFull;
        private boolean streaming;
        private boolean dropSlotOnShutdown;

        /** The consumer group: instances of one group share a slot (default {@code default}). */
        public Builder group(String group) {
            this.group = group;
            return this;
        }

        /** The slot's name (default {@code pgflash_<group>}, lower-cased, other characters than a-z0-9_ as _). */
        public Builder slotName(String slot) {
            this.slot = slot;
            return this;
        }

        /** The publication's name (default: the slot's default name). */
        public Builder publicationName(String publication) {
            this.publication = publication;
            return this;
        }

        /** How often the confirmed position is reported to the server (default 1 s). */
        public Builder statusInterval(Duration interval) {
            this.statusInterval = interval;
            return this;
        }

        /** How often a heartbeat message moves an idle slot (default 10 s; zero turns heartbeats off). */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = interval;
            return this;
        }

        /**
         * How often an idle stream checks that the server still streams to it (default 10 s). A silently dead
         * connection is noticed once the server's wal_sender_timeout (default 60 s) has ended its side.
         */
        public Builder connectionCheckInterval(Duration interval) {
            this.connectionCheckInterval = interval;
            return this;
        }

        /**
         * How often a standby instance of the group tries to take the slot over, and the active one checks it still
         * has its turn (default 1 s).
         */
        public Builder standbyInterval(Duration interval) {
            this.standbyInterval = interval;
            return this;
        }

        public Builder reconnectBackOff(BackOff backOff) {
            this.reconnectBackOff = backOff;
            return this;
        }

        /**
         * Sets {@code REPLICA IDENTITY FULL} on subscribed tables, so UPDATE and DELETE events carry the whole old row
         * (more WAL per update). Off by default: pgflash never changes it otherwise.
         */
        public Builder replicaIdentityFull(boolean full) {
            this.replicaIdentityFull = full;
            return this;
        }

        /**
         * Protocol 2 streaming: the server sends large transactions while they run instead of spilling them to its
         * disk until commit; pgflash keeps them in memory until their commit and drops aborted ones. Off by default.
         */
        public Builder streaming(boolean streaming) {
            this.streaming = streaming;
            return this;
        }

        /** Drop the slot and publication on close; loses what is not confirmed. Off by default. */
        public Builder dropSlotOnShutdown(boolean drop) {
            this.dropSlotOnShutdown = drop;
            return this;
        }

        public WalDriver build() {
            return new WalDriver(this);
        }
    }
}
