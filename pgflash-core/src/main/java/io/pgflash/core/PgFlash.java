package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import io.pgflash.core.catalog.Catalog;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.internal.dispatch.DeliveryPool;
import io.pgflash.core.internal.dispatch.Dispatcher;
import io.pgflash.core.internal.dispatch.SubscriptionMatcher;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.driver.NotifyQueue;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.internal.Durations;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pgflash client: subscriptions in, change events out.
 *
 * <pre>{@code
 * try (PgFlash flash = PgFlash.builder().jdbcUrl(url, user, password).build()) {
 *     flash.start();
 *     flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(),
 *             event -> System.out.println(event.newRow()));
 * }
 * }</pre>
 * Subscriptions may be added and cancelled at any time; the driver's database objects follow. {@link #close()} stops
 * reading, delivers what was already read (within the shutdown timeout) and releases the database objects the driver
 * does not keep for the next start (notify mode's triggers; the durable group's triggers and events and the WAL slot
 * stay).
 */
public final class PgFlash implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PgFlash.class);

    private final ConnectionFactory connections;
    private final ChangeDriver driver;
    private final Duration shutdownTimeout;
    private final PgFlashObserver observer;
    private final Catalog catalog = new Catalog();
    private final Dispatcher dispatcher;
    private final SnapshotRunner snapshots;
    private final boolean snapshotAfterGap;
    private final Map<String, Active> subscriptions = new LinkedHashMap<>();
    private final TableDefinitions definitions = new TableDefinitions(this::describe);
    private final CaptureNeeds captureNeeds = new CaptureNeeds();
    /** Subscriptions cut off for falling behind, for the next call under this client's lock to forget. */
    private final Queue<Active> cutOff = new ConcurrentLinkedQueue<>();
    private int unnamed;
    private boolean started;
    private boolean closed;
    /** Whether the driver's server check passed once (on the first table definition read). */
    private volatile boolean serverChecked;

    private PgFlash(Builder builder) {
        this.connections = Objects.requireNonNull(builder.connections, "connection settings: call jdbcUrl(...)");
        this.driver = builder.driver != null ? builder.driver : NotifyDriver.builder().build();
        this.shutdownTimeout = builder.shutdownTimeout;
        this.observer = builder.observer;
        this.dispatcher = new Dispatcher(driver::confirm, observer, driver::deadLetter,
                new DeliveryPool(builder.deliveryThreads), builder.history);
        this.snapshots = new SnapshotRunner(connections, driver, dispatcher, builder.snapshotChunkSize,
                observer);
        this.snapshotAfterGap = builder.snapshotAfterGap;
    }

    /** Rows a snapshot reads at a time unless {@link Builder#snapshotChunkSize(int)} says otherwise. */
    public static final int DEFAULT_SNAPSHOT_CHUNK_SIZE = 8192;

    /** Events of a table kept for resuming subscriptions unless {@link Builder#history(int)} says otherwise. */
    public static final int DEFAULT_HISTORY = 1000;

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Connects the driver and starts the subscriptions made so far. Their routes exist before the driver reads
     * anything, so changes a WAL slot replays at start reach them: with the WAL driver, subscribe before starting.
     */
    public synchronized void start() {
        forgetCutOff();
        if (closed) {
            throw new IllegalStateException("This PgFlash is closed; build a new one");
        }
        if (started) {
            return;
        }
        dispatcher.reset();
        subscriptions.values().forEach(this::route);
        try {
            driver.start(new DriverContext(connections, catalog, snapshotAfterGap ? new HealingSink() : dispatcher,
                    observer));
        } catch (RuntimeException e) {
            unrouteAll();
            throw e;
        }
        started = true;
        try {
            subscriptions.values().stream().map(a -> a.table).distinct().forEach(this::capture);
        } catch (RuntimeException e) {
            stop(() -> {
                try {
                    driver.undoStart(); // before close(): a standby must not take over what is being undone
                } catch (RuntimeException undo) {
                    e.addSuppressed(undo);
                }
            });
            throw e;
        }
        subscriptions.values().stream().filter(a -> a.subscription.spec().snapshot() != SnapshotMode.NONE)
                .forEach(active -> snapshotLogged(active, true));
    }

    /**
     * Reads {@code subscription}'s table again for it alone, while the stream goes on: its listener gets a
     * {@link SnapshotNotice} (STARTED), every current row matching its filter as a {@link Operation#READ} event, then
     * another notice (COMPLETED); for every key, never an older state after a newer one. Snapshots run one at a
     * time, in the order asked for (asked again while one waits, it joins that one). Completes with the number of rows
     * delivered, or exceptionally when the subscription or the client stops first. Ask from a thread of your own, not
     * from a listener: this waits for the client's lock, which a stopping client holds while it waits for listeners.
     */
    public synchronized CompletableFuture<Long> snapshot(Subscription subscription) {
        return snapshot(subscription, false);
    }

    /** A snapshot on demand, or ({@code byMode}) the one the subscription's mode asks for when it starts. */
    private synchronized CompletableFuture<Long> snapshot(Subscription subscription, boolean byMode) {
        forgetCutOff();
        Active active = subscriptions.get(subscription.id());
        if (active == null || active.subscription != subscription || !subscription.isActive()) {
            throw new IllegalArgumentException("Subscription " + subscription.id() + " is not active on this client");
        }
        if (!started || active.route == null) {
            throw new IllegalStateException("Snapshot of " + active.table.name() + " for " + subscription.id()
                    + ": start the client first");
        }
        SubscriptionSpec spec = subscription.spec();
        SubscriptionSpec.requireSnapshotFits(spec.table(), spec.resumable(), spec.overflow(), spec.concurrency());
        String signature = active.table.oid() + " " + active.matcher.keyColumns() + " " + spec.conditions();
        TableMetadata table = driver.sendsGeneratedColumns() ? active.table : active.table.withoutGeneratedColumns();
        return snapshots.submit(new SnapshotRunner.Job(active.route, table, active.matcher.keyColumns(),
                subscription::isActive, signature, spec.snapshot(), byMode));
    }

    /** The snapshots under way, and the last one of each subscription that had one, oldest first. */
    public List<SnapshotProgress> snapshots() {
        return snapshots.progress();
    }

    /**
     * The dispatcher, and after a gap a snapshot for every subscription that takes them: asked for off the reader's
     * thread, which must not wait for this client's lock.
     */
    private final class HealingSink implements EventSink {
        @Override
        public void accept(List<ChangeEvent> events, @Nullable Position upTo) throws InterruptedException {
            dispatcher.accept(events, upTo);
        }

        @Override
        public void gap(StreamGap gap) throws InterruptedException {
            dispatcher.gap(gap);
            CompletableFuture.runAsync(PgFlash.this::snapshotAfterGap);
        }

        @Override
        public void watermark(String token, Position position) throws InterruptedException {
            dispatcher.watermark(token, position);
        }
    }

    private synchronized void snapshotAfterGap() {
        if (!started) {
            return; // the next start takes the initial snapshots
        }
        subscriptions.values().stream().filter(a -> a.subscription.spec().snapshot() != SnapshotMode.NONE)
                .filter(a -> a.route != null).forEach(active -> {
                    log.info("Reading {} again for subscription {}: changes may have been missed",
                            active.table.name(), active.subscription.id());
                    snapshotLogged(active, false);
                });
    }

    /** Asks for a snapshot for {@code active}; its failure is logged (its listener gets a FAILED notice), not thrown. */
    private void snapshotLogged(Active active, boolean byMode) {
        try {
            snapshot(active.subscription, byMode).whenComplete((rows, error) -> {
                // the runner completes its future with what the snapshot threw, unwrapped
                if (error instanceof SnapshotRunner.SnapshotStoppedException) {
                    // an application shutting down during a snapshot is not an error to alert on
                    log.info("Snapshot of {} for subscription {} did not complete: {}", active.table.name(),
                            active.subscription.id(), error.getMessage());
                } else if (error != null) {
                    log.error("Snapshot of {} for subscription {} did not complete: {}", active.table.name(),
                            active.subscription.id(), error.getMessage());
                }
            });
        } catch (RuntimeException e) {
            log.error("Snapshot of {} for subscription {} could not start: {}", active.table.name(),
                    active.subscription.id(), e.getMessage());
        }
    }

    private void unrouteAll() {
        subscriptions.values().forEach(this::unroute);
    }

    /**
     * Subscribes {@code listener} to the changes {@code spec} describes. Fails at once, naming the table or column, when
     * the table, a column, the key or a filter value does not fit; nothing is installed then.
     */
    public Subscription subscribe(SubscriptionSpec spec, ChangeListener listener) {
        Objects.requireNonNull(listener, "listener");
        return subscribe(spec, Dispatcher.single(listener), 1);
    }

    /**
     * Like {@link #subscribe(SubscriptionSpec, ChangeListener)}, for a listener that takes what is queued in batches
     * of up to {@link BatchChangeListener#MAX_BATCH} events.
     */
    public Subscription subscribeBatch(SubscriptionSpec spec, BatchChangeListener listener) {
        Objects.requireNonNull(listener, "listener");
        return subscribe(spec, listener, BatchChangeListener.MAX_BATCH);
    }

    private synchronized Subscription subscribe(SubscriptionSpec spec, BatchChangeListener listener, int maxBatch) {
        forgetCutOff();
        if (closed) {
            throw new IllegalStateException("This PgFlash is closed; build a new one");
        }
        TableDefinitions.Definition definition = definitions.get(spec.table());
        try {
            return subscribe(spec, listener, maxBatch, definition.table());
        } catch (PgFlashException e) {
            if (definition.fresh()) {
                throw e;
            }
            // the kept definition may be older than what refused it (a column added, the table made anew)
            return subscribe(spec, listener, maxBatch, definitions.reread(spec.table()));
        }
    }

    private Subscription subscribe(SubscriptionSpec spec, BatchChangeListener listener, int maxBatch,
            TableMetadata table) {
        SubscriptionMatcher matcher = SubscriptionMatcher.compile(spec, table);
        driver.validate(spec, table);
        String id = spec.id() != null ? spec.id() : table.name().name() + "#" + (++unnamed);
        if (subscriptions.containsKey(id)) {
            throw new PgFlashException("A subscription with id '" + id + "' exists already; ids must be unique");
        }
        Subscription subscription = new Subscription(id, spec, table.name(), matcher.keyColumns(), this);
        Active active = new Active(subscription, table, matcher, listener, maxBatch);
        subscriptions.put(id, active);
        if (started) {
            try {
                activate(active);
            } catch (RuntimeException e) {
                subscriptions.remove(id);
                throw e;
            }
        }
        return subscription;
    }

    /**
     * The id a client keeps to resume after {@code event} ({@link SubscriptionSpec.Builder#resumeAfter(String)}): the
     * event's position, named with this run of the stream (ids of an earlier run, or of another client, do not
     * resume). The DELETE half of a split key change has an id of its own, so a client that saw only it resumes with
     * the INSERT half.
     */
    public String eventId(ChangeEvent event) {
        return dispatcher.eventId(event);
    }

    /** The subscriptions that are active, in the order they were made. */
    public synchronized List<Subscription> subscriptions() {
        forgetCutOff();
        return subscriptions.values().stream().map(a -> a.subscription).toList();
    }

    public DriverState state() {
        return driver.state();
    }

    /** The change source. */
    public ChangeDriver driver() {
        return driver;
    }

    /** Whether {@link #start()} ran and no {@link #stop()} or {@link #close()} since. */
    public synchronized boolean isRunning() {
        return started;
    }

    /** The fill of the server's NOTIFY queue, 0 to 1 ({@code pg_notification_queue_usage()}). */
    public double notifyQueueUsage() {
        return NotifyQueue.usage(connections);
    }

    synchronized void cancel(Subscription subscription) {
        forgetCutOff();
        Active active = subscriptions.remove(subscription.id());
        if (active == null) {
            return;
        }
        subscription.markCancelled();
        snapshots.forget(subscription.id());
        if (active.route != null) {
            unroute(active);
            try {
                capture(active.table);
            } catch (RuntimeException e) {
                log.warn("Could not update capture of {} after cancelling {}: {}", active.table.name(),
                        subscription.id(), e.getMessage());
            }
        }
    }

    /**
     * Stops reading, delivers what was read within the shutdown timeout, and releases the driver's session. The
     * subscriptions stay and resume on the next {@link #start()}.
     */
    public synchronized void stop() {
        forgetCutOff();
        stop(() -> { });
    }

    /** Stops, running {@code beforeClose} once reading and delivery have ended, before the driver closes. */
    private void stop(Runnable beforeClose) {
        if (!started) {
            return;
        }
        started = false;
        snapshots.stop();
        driver.stop();
        try {
            dispatcher.drainAndStop(shutdownTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            subscriptions.values().forEach(this::forgetRoute);
            captureNeeds.forgetTold();
            beforeClose.run();
            driver.close();
        }
    }

    /** {@link #stop()}, then cancels every subscription; this client cannot start again. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        subscriptions.values().forEach(a -> a.subscription.markCancelled());
        subscriptions.clear();
        dispatcher.close();
        snapshots.close();
        try {
            driver.shutdown();
        } catch (RuntimeException e) {
            log.warn("Could not remove the driver's database objects: {}", e.getMessage());
        }
    }

    private void route(Active active) {
        active.route = dispatcher.add(active.subscription.id(), active.matcher, active.table.name(), active.listener,
                active.maxBatch, () -> {
                    active.subscription.markCancelled();
                    cutOff.add(active);
                }, active.routedBefore ? null : active.subscription.spec().resumeAfter());
        active.routedBefore = true; // a restart resumes nothing: its stream is new
        captureNeeds.add(active.table.name(), active.subscription.spec().capturedOperations());
    }

    /** Stops routing to the subscription: its worker ends, what it had queued is dropped. */
    private void unroute(Active active) {
        if (active.route != null) {
            dispatcher.remove(active.route, shutdownTimeout);
            forgetRoute(active);
        }
    }

    /** The subscription is routed no more (its route removed, or ended with the dispatcher's). */
    private void forgetRoute(Active active) {
        if (active.route != null) {
            active.route = null;
            captureNeeds.remove(active.table.name(), active.subscription.spec().capturedOperations());
        }
    }

    /**
     * Forgets the subscriptions cut off since the last call (their routes are gone already): the driver is told what
     * their tables still need. Called under this client's lock, which the reader thread that cut them off must not
     * wait for.
     */
    private void forgetCutOff() {
        for (Active active = cutOff.poll(); active != null; active = cutOff.poll()) {
            if (subscriptions.remove(active.subscription.id(), active)) {
                forgetRoute(active);
                if (!started) {
                    continue; // the next start captures what the others need
                }
                try {
                    capture(active.table);
                } catch (RuntimeException e) {
                    log.warn("Could not update capture of {} after {} was cut off: {}", active.table.name(),
                            active.subscription.id(), e.getMessage());
                }
            }
        }
    }

    private void activate(Active active) {
        route(active);
        try {
            capture(active.table);
        } catch (RuntimeException e) {
            unroute(active);
            throw e;
        }
        if (active.subscription.spec().snapshot() != SnapshotMode.NONE) {
            snapshotLogged(active, true); // captured first: nothing changed after the chunks' reads goes unseen
        }
    }

    /**
     * Tells the driver what the routed subscriptions of {@code table} need captured, if that changed: a subscription
     * to a table already captured for the same operations costs the database nothing.
     */
    private void capture(TableMetadata table) {
        if (captureNeeds.changed(table.name())) {
            Set<Operation> operations = captureNeeds.of(table.name());
            driver.capture(table, operations);
            captureNeeds.told(table.name(), operations);
        }
    }

    private TableMetadata describe(TableName name) {
        try (Connection connection = connections.open()) {
            if (!serverChecked) {
                driver.checkServer(connection);
                serverChecked = true;
            }
            return catalog.describe(connection, catalog.resolve(connection, name));
        } catch (SQLException e) {
            throw new PgFlashException("Could not read the definition of table " + name + ": " + e.getMessage(), e);
        }
    }

    private static final class Active {
        final Subscription subscription;
        final TableMetadata table;
        final SubscriptionMatcher matcher;
        final BatchChangeListener listener;
        final int maxBatch;
        Dispatcher.Route route;
        boolean routedBefore;

        Active(Subscription subscription, TableMetadata table, SubscriptionMatcher matcher,
                BatchChangeListener listener, int maxBatch) {
            this.subscription = subscription;
            this.table = table;
            this.matcher = matcher;
            this.listener = listener;
            this.maxBatch = maxBatch;
        }
    }

    public static final class Builder {
        private ConnectionFactory connections;
        private ChangeDriver driver;
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private int snapshotChunkSize = DEFAULT_SNAPSHOT_CHUNK_SIZE;
        private boolean snapshotAfterGap;
        private int deliveryThreads = DeliveryPool.DEFAULT_THREADS;
        private int history = DEFAULT_HISTORY;
        private PgFlashObserver observer = new PgFlashObserver() { };

        /** The database; pgflash opens its own unpooled connections with these settings. */
        public Builder jdbcUrl(String jdbcUrl, @Nullable String user, @Nullable String password) {
            this.connections = ConnectionFactory.of(jdbcUrl, user, password);
            return this;
        }

        public Builder connections(ConnectionFactory connections) {
            this.connections = connections;
            return this;
        }

        /** The change source; default a {@link NotifyDriver} with schema {@code pgflash}. */
        public Builder driver(ChangeDriver driver) {
            this.driver = driver;
            return this;
        }

        /** How long {@link #close()} waits for listeners to handle what was read (default 30 s). */
        public Builder shutdownTimeout(Duration timeout) {
            this.shutdownTimeout = Durations.atLeast(timeout, Duration.ZERO, "shutdown timeout");
            return this;
        }

        /**
         * The threads that run listeners, shared by every subscription (default 32): each subscription is delivered
         * in order on one of them at a time, so many subscriptions need no thread each. Listeners blocked at once
         * hold as many of them; make it larger for many listeners that wait long.
         */
        public Builder deliveryThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("deliveryThreads must be at least 1, got " + threads);
            }
            this.deliveryThreads = threads;
            return this;
        }

        /**
         * How many recent events of a table the client keeps, in memory, once a {@link SubscriptionSpec.Builder#resumable()
         * resumable} subscription was made to it (default {@value #DEFAULT_HISTORY}; tables without one keep none): a
         * client that reconnects within that many events resumes without missing any. 0 keeps none.
         */
        public Builder history(int events) {
            if (events < 0) {
                throw new IllegalArgumentException("history must be 0 or more events, got " + events);
            }
            this.history = events;
            return this;
        }

        /**
         * Rows a snapshot reads, holds in memory and takes into the stream at a time (default
         * {@value #DEFAULT_SNAPSHOT_CHUNK_SIZE}).
         */
        public Builder snapshotChunkSize(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("snapshotChunkSize must be at least 1 row, got " + rows);
            }
            this.snapshotChunkSize = rows;
            return this;
        }

        /**
         * After a gap notice (changes may have been missed: the notify mode after a reconnect), subscriptions with a
         * {@link SubscriptionSpec.Builder#snapshot snapshot} mode read their tables again, so a copy kept from them is
         * right again without application code (default false). The rows of the new snapshot do not say which were
         * deleted meanwhile: drop, at its {@code COMPLETED} notice, the keys not seen since its {@code STARTED} one.
         */
        public Builder snapshotAfterGap(boolean enabled) {
            this.snapshotAfterGap = enabled;
            return this;
        }

        /** Hooks for metrics and health (default: none). */
        public Builder observer(PgFlashObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        public PgFlash build() {
            return new PgFlash(this);
        }
    }
}
