package io.pgflash.core.driver.trigger;

import io.pgflash.core.BackOff;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.GroupLeadership;
import io.pgflash.core.driver.GroupRole;
import io.pgflash.core.driver.Measurement;
import io.pgflash.core.driver.NotifyQueue;
import io.pgflash.core.driver.ReaderRuntime;
import io.pgflash.core.driver.SnapshotCheckpoints;
import io.pgflash.core.internal.Durations;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * and try every {@code standbyInterval}; the one that takes over resumes from the group's saved cursor. The jobs live
 * apart: {@link DurableSchema} installs the objects, {@link DurableStore} holds the statements, {@link RoundReader}
 * reads, {@link Retention} deletes what was consumed.
 */
public final class DurableDriver implements ChangeDriver {

    private static final Logger log = LoggerFactory.getLogger(DurableDriver.class);
    /** PostgreSQL cuts longer names, so triggers would no longer be found by the names they were created with. */
    private static final int MAX_NAME_BYTES = 63;

    private final DurableSchema schema;
    private final DurableStore store;
    private final SnapshotCheckpoints checkpoints;
    private final String group;
    private final RoundReader.Settings settings;
    private final Duration groupExpiry;
    private final ReaderRuntime runtime;
    private final GroupCaptures captures;
    private final AtomicLong confirmed = new AtomicLong();
    private final Retention retention;

    private volatile DriverContext context;
    private GroupLeadership leadership;
    private RoundReader reader;
    private ScheduledExecutorService heartbeat;

    private DurableDriver(Builder builder) {
        new TriggerSql(builder.schema); // validates the schema name
        this.schema = new DurableSchema(builder.schema);
        String longestTrigger = schema.triggerName(Operation.TRUNCATE);
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
        this.store = new DurableStore(schema);
        this.checkpoints = new SnapshotCheckpoints(builder.schema, "durable:" + builder.group);
        this.group = builder.group;
        Duration pollInterval = atLeast(builder.pollInterval, Duration.ofMillis(1), "poll interval");
        this.settings = new RoundReader.Settings(group, builder.batchSize, pollInterval,
                atLeast(builder.retentionInterval, Duration.ofMillis(1), "retention interval"));
        this.groupExpiry = atLeast(builder.groupExpiry, Duration.ofSeconds(1), "group expiry");
        this.retention = new Retention(store, group, groupExpiry);
        this.captures = new GroupCaptures(schema, store, group);
        // a stop waits for a statement in progress, a while
        this.runtime = new ReaderRuntime("durable group " + group, "pgflash-durable-" + group,
                builder.reconnectBackOff, atLeast(builder.standbyInterval, Duration.ofMillis(1), "standby interval"),
                pollInterval.multipliedBy(4).plusSeconds(5));
    }

    private static Duration atLeast(Duration value, Duration least, String setting) {
        return Durations.atLeast(value, least, "durable " + setting);
    }

    private static int bytes(String name) {
        return name.getBytes(StandardCharsets.UTF_8).length;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "durable";
    }

    @Override
    public boolean keepsEventsWhileStopped() {
        return true;
    }

    @Override
    public Optional<SnapshotCheckpoints> snapshotCheckpoints() {
        return Optional.of(checkpoints);
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

    /**
     * Groups not seen for longer than the expiry, which no longer hold events back; read from the database, so a
     * standby instance reports them too.
     */
    public long expiredGroups() {
        try (Connection c = connections().open()) {
            return store.countExpiredGroups(c, groupExpiry.toSeconds());
        } catch (SQLException e) {
            throw new PgFlashException("Could not count the expired groups of schema " + schema.name() + ": "
                    + e.getMessage(), e);
        }
    }

    /** How many times consumed events were cleaned up since start. */
    public long retentionPasses() {
        return retention.passes();
    }

    /** Events of this group not yet consumed (rows in the event table past its cursor, numbered or not). */
    public long backlog() {
        try (Connection c = connections().open()) {
            return store.backlog(c, group);
        } catch (SQLException e) {
            throw new PgFlashException("Could not read the backlog of group " + group + ": " + e.getMessage(), e);
        }
    }

    private ConnectionFactory connections() {
        if (context == null) {
            throw new IllegalStateException("The durable driver has not started");
        }
        return context.connections();
    }

    /**
     * Installs the schema, joins the group (cutting a round of everything committed so far first, so a new group
     * starts after all of it), captures what the group captured when it last ran (so its backlog can be decoded before
     * the client captures its tables again), then reads or stands by.
     */
    @Override
    public synchronized void start(DriverContext driverContext) {
        runtime.awaitPreviousReader();
        this.context = driverContext;
        SchemaLock.inTransaction(driverContext.connections(), schema.name(), "install the durable pgflash schema "
                + schema.name(), c -> {
                    schema.install(c);
                    store.cutRound(c, group, Long.MAX_VALUE); // as a reader at the end of the rounds
                    if (store.joinGroup(c, group, groupExpiry.toSeconds())) {
                        checkpoints.clear(c); // a group made anew continues no copy of the one before
                    }
                    schema.ddl().reconcile(c);
                    captures.load(c, driverContext.catalog());
                    logWhenWritersCannotNotify(c);
                });
        // the schema's length keeps "a:b" with group "c" apart from "a" with group "b:c"
        leadership = new GroupLeadership(driverContext.connections(),
                "durable:" + schema.name().length() + ":" + schema.name() + ":" + group);
        try {
            runtime.start(sink -> reader = new RoundReader(store, schema.name(), settings, captures.tables(),
                    driverContext, sink, confirmed, retention, () -> captures.captureAgain(driverContext.connections()),
                    runtime::running), leadership,
                    driverContext.sink(), driverContext.observer());
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
            try (Connection c = context.connections().open()) {
                store.heartbeat(c, group);
            } catch (SQLException | RuntimeException e) {
                log.debug("Durable group {} could not say it is alive: {}", group, e.getMessage());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Records that this group wants {@code operations} of the table, even while it is down, and syncs triggers. */
    @Override
    public void capture(TableMetadata table, Set<Operation> operations) {
        captures.capture(context.connections(), table, operations, leadership.held());
    }

    private void logWhenWritersCannotNotify(Connection c) throws SQLException {
        int prepared = store.maxPreparedTransactions(c);
        if (prepared > 0) {
            log.info("Durable group {}: this server can prepare transactions (max_prepared_transactions = {}), and"
                    + " PostgreSQL will not prepare one that sent a NOTIFY, so writers do not wake an idle consumer: it"
                    + " looks for new events every poll interval ({})", group, prepared, settings.pollInterval());
        }
    }

    @Override
    public void emitWatermark(Connection connection, String token) throws SQLException {
        store.insertWatermark(connection, token);
    }

    @Override
    public void confirm(Position position) {
        confirmed.accumulateAndGet(position.major(), Math::max);
    }

    @Override
    public void deadLetter(String subscriptionId, List<ChangeEvent> events, Throwable error) {
        try (Connection c = context.connections().open()) {
            store.insertDeadLetters(c, group, events.stream()
                    .map(event -> DurableStore.DeadLetter.of(subscriptionId, event, error)).toList());
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
        if (reader != null) {
            try (Connection c = context.connections().open()) {
                reader.saveCursor(c);
            } catch (SQLException | RuntimeException e) {
                log.warn("Could not save the cursor of group {}; it resumes from the last saved one: {}", group,
                        e.getMessage());
            }
            reader.abort();
        }
        if (leadership != null) {
            leadership.release(); // a standby takes over from the cursor just saved
        }
        captures.clear(); // the next start captures its subscriptions' tables again
    }

    @Override
    public DriverState state() {
        return runtime.state();
    }

    @Override
    public Optional<GroupRole> groupRole() {
        return Optional.of(runtime.role());
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

        public DurableDriver build() {
            return new DurableDriver(this);
        }
    }
}
