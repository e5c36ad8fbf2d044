package io.pgflash.core.driver.wal;

import io.pgflash.core.BackOff;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.GroupLeadership;
import io.pgflash.core.driver.GroupRole;
import io.pgflash.core.driver.Measurement;
import io.pgflash.core.driver.ReaderRuntime;
import io.pgflash.core.driver.SnapshotCheckpoints;
import io.pgflash.core.internal.Durations;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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
    /** How long a stop waits for a reader inside a database call before aborting its stream. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final WalSetup setup;
    private final ReplicationSession.Settings settings;
    private final boolean replicaIdentityFull;
    private final boolean dropSlotOnShutdown;
    private final ReaderRuntime runtime;
    private final AtomicLong confirmed = new AtomicLong();
    /** The tables this instance's subscriptions read, by oid: published again when it takes the group's turn. */
    private final Map<Long, TableMetadata> wanted = new ConcurrentHashMap<>();

    private volatile DriverContext context;
    private ReplicationSession session;
    private GroupLeadership leadership;
    /** Whether this instance had the group's turn when it last closed: only then may it drop the group's slot. */
    private boolean readingAtClose;
    /** Whether the last start created the publication, which undoing it then drops. */
    private boolean createdPublication;

    private WalDriver(Builder builder) {
        String group = builder.group;
        this.setup = new WalSetup(builder.slot != null ? builder.slot : derivedName(group),
                builder.publication != null ? builder.publication : derivedName(group), builder.stateSchema);
        this.settings = new ReplicationSession.Settings(builder.statusInterval, builder.heartbeatInterval,
                builder.connectionCheckInterval, builder.streaming, builder.streamedMemory, builder.spillDirectory);
        this.replicaIdentityFull = builder.replicaIdentityFull;
        this.dropSlotOnShutdown = builder.dropSlotOnShutdown;
        this.runtime = new ReaderRuntime("wal slot " + setup.slot(), "pgflash-wal-" + setup.slot(),
                builder.reconnectBackOff, builder.standbyInterval,
                STOP_WAIT);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code pgflash_} and the group in lower case, other characters as {@code _}: a valid slot name. */
    static String derivedName(String group) {
        String name = "pgflash_" + group.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    @Override
    public Optional<SnapshotCheckpoints> snapshotCheckpoints() {
        return Optional.of(setup.checkpoints());
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
        WalEvents events = new WalEvents(driverContext.catalog(), driverContext.connections(), wanted);
        leadership = new GroupLeadership(driverContext.connections(), "wal:" + setup.slot());
        session = null;
        createdPublication = false;
        try {
            try (Connection connection = driverContext.connections().open()) {
                setup.checkPreconditions(connection);
                createdPublication = setup.ensurePublication(connection);
            }
            runtime.start(sink -> session = new ReplicationSession(setup, driverContext.connections(), events,
                    settings, confirmed, wanted, sink), leadership, driverContext.sink(), driverContext.observer());
        } catch (SQLException | RuntimeException e) {
            undoStart();
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new PgFlashException("Could not start logical replication from slot " + setup.slot() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Drops the slot and the publication the last start created (none it found): a failed start leaves nothing behind,
     * and no slot holds WAL for a group that never read.
     */
    @Override
    public void undoStart() {
        boolean slot = session != null && session.createdSlot();
        if (!slot && !createdPublication) {
            return;
        }
        if (session != null) {
            session.close(); // the slot can be dropped once nobody streams it
        }
        try (Connection connection = context.connections().open()) {
            if (slot) {
                setup.dropSlot(connection);
            }
            if (createdPublication) {
                setup.dropPublication(connection);
            }
            log.info("Removed what the failed start created: {}{}", slot ? "slot " + setup.slot() + " " : "",
                    createdPublication ? "publication " + setup.publication() : "");
        } catch (SQLException e) {
            log.warn("Could not remove what the failed start created (slot {}, publication {}): {}; drop them by"
                    + " hand if this group will not run", setup.slot(), setup.publication(), e.getMessage());
        }
        createdPublication = false;
    }

    @Override
    public void checkServer(Connection connection) throws SQLException {
        setup.checkPreconditions(connection);
    }

    @Override
    public boolean sendsGeneratedColumns() {
        return false; // pgoutput leaves them out
    }

    @Override
    public void validate(SubscriptionSpec spec, TableMetadata table) {
        WalSubscriptions.check(spec, table, replicaIdentityFull);
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
                            + " tables as their owner and give its name to pgflash: publicationName, in Spring"
                            + " pgflash.wal.publication-name)"
                    : "";
            throw new PgFlashException("Could not " + (operations.isEmpty() ? "remove " : "add ") + table.name()
                    + (operations.isEmpty() ? " from" : " to") + " publication " + setup.publication() + ": "
                    + e.getMessage() + hint, e);
        }
    }

    /** A transactional logical decoding message: it reaches the stream at its transaction's commit. */
    @Override
    public void emitWatermark(Connection connection, String token) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)")) {
            statement.setString(1, TransactionAssembly.WATERMARK_PREFIX);
            statement.setString(2, token);
            statement.execute();
        }
    }

    @Override
    public void confirm(Position position) {
        confirmed.accumulateAndGet(position.major(), (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
    }

    @Override
    public void stop() {
        runtime.stop();
    }

    @Override
    public synchronized void close() {
        if (session != null) {
            session.close();
        }
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
    public boolean keepsEventsWhileStopped() {
        return true;
    }

    @Override
    public DriverState state() {
        return runtime.state();
    }

    @Override
    public Optional<GroupRole> groupRole() {
        return Optional.of(runtime.role());
    }

    /** The slot's lag, against the {@code slot-lag} threshold. */
    @Override
    public List<Measurement> measurements() {
        return List.of(new Measurement("slot.lag", null, "WAL the replication slot holds back", "bytes", "slot-lag",
                (lag, threshold) -> "replication slot " + setup.slot() + " is " + (long) lag + " bytes behind"
                        + " (threshold " + (long) threshold + "): the server keeps that much WAL on disk until"
                        + " pgflash catches up",
                () -> slotStatus().lagBytes()));
    }

    /** The slot: its name, whether a reader streams it, and its lag. */
    @Override
    public Map<String, Object> healthDetails() {
        SlotStatus slot = slotStatus();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", slot.slot());
        details.put("active", slot.active());
        details.put("lagBytes", slot.lagBytes());
        return Map.of("slot", details);
    }

    /** The slot's lag and activity, read from the server. */
    public SlotStatus slotStatus() {
        if (context == null) {
            throw new IllegalStateException("The WAL driver has not started: its slot is not known to be there");
        }
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
        private long streamedMemory = 16L << 20;
        private Path spillDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private boolean dropSlotOnShutdown;
        private String stateSchema = "pgflash";

        /** The consumer group: instances of one group share a slot (default {@code default}). */
        public Builder group(String group) {
            this.group = group;
            return this;
        }

        /**
         * The schema where the group keeps what it needs beside its slot: its snapshots' checkpoints, in table
         * {@code snapshot_checkpoints} (default {@code pgflash}). Schema and table are created the first time an
         * initial snapshot runs, so the role needs CREATE on the database then, or the schema made for it.
         */
        public Builder stateSchema(String schema) {
            this.stateSchema = schema;
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
            this.statusInterval = Durations.atLeast(interval, Duration.ofMillis(1), "WAL status interval");
            return this;
        }

        /** How often a heartbeat message moves an idle slot (default 10 s; zero turns heartbeats off). */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = Durations.atLeast(interval, Duration.ZERO, "WAL heartbeat interval");
            return this;
        }

        /**
         * How often an idle stream checks that the server still streams to it (default 10 s). A silently dead
         * connection is noticed once the server's wal_sender_timeout (default 60 s) has ended its side.
         */
        public Builder connectionCheckInterval(Duration interval) {
            this.connectionCheckInterval = Durations.atLeast(interval, Duration.ofMillis(1),
                    "WAL connection check interval");
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
         * disk until commit, so they reach listeners sooner after their commit; pgflash keeps them until their commit
         * (in memory up to {@link #streamedMemory}, then in a local file) and drops aborted ones. Off by default.
         */
        public Builder streaming(boolean streaming) {
            this.streaming = streaming;
            return this;
        }

        /**
         * Bytes of streamed, not yet committed changes held in the heap over all open transactions (default 16 MiB);
         * past it a transaction's further changes go to a file in {@link #spillDirectory}.
         */
        public Builder streamedMemory(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("streamedMemory must be 0 or more bytes, got " + bytes);
            }
            this.streamedMemory = bytes;
            return this;
        }

        /**
         * Where streamed transactions past {@link #streamedMemory} are kept until they end (default
         * {@code java.io.tmpdir}). Each file is unlinked as soon as it is open: its space shows in {@code df}, not in
         * {@code ls}, and nothing is left behind even when the JVM is killed.
         */
        public Builder spillDirectory(Path directory) {
            this.spillDirectory = Objects.requireNonNull(directory, "spillDirectory");
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
