package io.pgflash.core.internal.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import io.pgflash.core.TableName;
import io.pgflash.core.driver.EventSink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes a driver's table-level events to the subscriptions of each table, in the order the driver hands them over,
 * and confirms positions back to the driver once every subscription has handled them.
 */
public final class Dispatcher implements EventSink {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final Map<TableName, TableRoutes> routes = new ConcurrentHashMap<>();
    private final Consumer<Position> confirm;
    private final PgFlashObserver observer;
    private final DeadLetters deadLetters;
    private final DeliveryPool pool;
    private volatile AckTracker acks;

    /** Where events a subscription gave up on are reported. */
    @FunctionalInterface
    public interface DeadLetters {
        void record(String subscriptionId, List<ChangeEvent> events, Throwable error);
    }

    /** Delivering on {@code pool}'s threads, which {@link #close()} ends. */
    public Dispatcher(Consumer<Position> confirm, PgFlashObserver observer, DeadLetters deadLetters,
            DeliveryPool pool) {
        this.confirm = confirm;
        this.observer = observer;
        this.deadLetters = deadLetters;
        this.pool = pool;
        this.acks = new AckTracker(confirm);
    }

    /** Starts acknowledging afresh, for a new run of the driver. */
    public void reset() {
        acks = new AckTracker(confirm);
    }

    /**
     * Starts delivering the table's matching events to {@code listener} on the delivery pool's threads, up to
     * {@code maxBatch} at a time. If the subscription's overflow policy cuts it off, its route is removed and
     * {@code whenCutOff} runs, on the reader's thread: it must not wait.
     */
    public Route add(String id, SubscriptionMatcher matcher, TableName table, BatchChangeListener listener,
            int maxBatch, Runnable whenCutOff) {
        Route[] added = new Route[1]; // the worker is made before its route, and removes it when cut off
        SubscriptionWorker worker = new SubscriptionWorker(id, listener, maxBatch, matcher.spec().errorPolicy(),
                matcher.spec().concurrency(), observer, deadLetters, pool, matcher.spec().overflow(), () -> {
                    TableRoutes tableRoutes = routes.get(table);
                    if (tableRoutes != null) {
                        tableRoutes.remove(added[0]);
                    }
                    whenCutOff.run();
                });
        Route route = new Route(id, table, matcher, worker);
        added[0] = route;
        routes.computeIfAbsent(table, t -> new TableRoutes()).add(route);
        return route;
    }

    /** Stops routing to {@code route}; drops what it has queued and waits for the event in hand. */
    public void remove(Route route, Duration timeout) {
        TableRoutes tableRoutes = routes.get(route.table);
        if (tableRoutes != null) {
            tableRoutes.remove(route);
        }
        route.worker.cancel(timeout);
    }

    /** A listener of single events as the batch listener the workers call, one event at a time. */
    public static BatchChangeListener single(io.pgflash.core.ChangeListener listener) {
        return SubscriptionWorker.asBatch(listener);
    }

    /**
     * Delivers what every subscription has queued, then stops their threads, within {@code timeout} in all. If that
     * is not enough, nothing more is confirmed to the driver, so what is dropped comes again after a restart. Nothing
     * handed over afterwards is confirmed either (a driver's reader that outlived its stop): nobody received it.
     */
    public void drainAndStop(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (TableRoutes tableRoutes : routes.values()) {
                for (Route route : tableRoutes.all()) {
                    route.worker.drainAndStop(deadline, acks::halt);
                }
            }
        } finally {
            acks.halt();
            routes.clear();
        }
    }

    /** Ends the delivery threads once they are idle; for a client that will not start again. */
    public void close() {
        pool.shutdown();
    }

    @Override
    public void accept(List<ChangeEvent> events, Position upTo) throws InterruptedException {
        AckTracker.Batch batch = acks.open(upTo);
        try {
            for (ChangeEvent event : events) {
                observeReceived(event);
                TableRoutes tableRoutes = routes.get(event.table());
                if (tableRoutes == null) {
                    continue;
                }
                for (Route route : tableRoutes.candidates(event)) {
                    for (ChangeEvent matched : match(route, event)) {
                        route.worker.offer(matched, batch);
                    }
                }
            }
        } finally {
            batch.seal();
        }
    }

    private void observeReceived(ChangeEvent event) {
        try {
            observer.received(event);
        } catch (RuntimeException e) {
            log.warn("Observer failed on a received event: {}", e.toString());
        }
    }

    /** A change one subscription cannot judge (e.g. its filter column was dropped) is skipped for it alone. */
    private static List<ChangeEvent> match(Route route, ChangeEvent event) {
        try {
            return route.matcher.match(event);
        } catch (RuntimeException e) {
            log.error("Subscription {} cannot match {} event {} on {}: {}; skipping it for this subscription",
                    route.id, event.operation(), event.position(), event.table(), e.getMessage());
            return List.of();
        }
    }

    @Override
    public void gap(StreamGap gap) throws InterruptedException {
        for (TableRoutes tableRoutes : routes.values()) {
            for (Route route : tableRoutes.all()) {
                route.worker.gap(gap);
            }
        }
    }

    /** One subscription's place in the routing table. */
    public static final class Route {
        private final String id;
        private final TableName table;
        private final SubscriptionMatcher matcher;
        private final SubscriptionWorker worker;

        private Route(String id, TableName table, SubscriptionMatcher matcher, SubscriptionWorker worker) {
            this.id = id;
            this.table = table;
            this.matcher = matcher;
            this.worker = worker;
        }

        SubscriptionMatcher matcher() {
            return matcher;
        }
    }
}
