package io.pgflash.core.internal.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.SnapshotNotice;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.StreamGap;
import io.pgflash.core.TableName;
import io.pgflash.core.driver.EventSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes a driver's table-level events to the subscriptions of each table, in the order the driver hands them over,
 * and confirms positions back to the driver once every subscription has handled them.
 */
public final class Dispatcher implements EventSink {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** Marks the id of a split key change's DELETE half. */
    private static final String DELETE_HALF = "d";

    private final Map<TableName, TableRoutes> routes = new ConcurrentHashMap<>();
    private final Consumer<Position> confirm;
    private final PgFlashObserver observer;
    private final DeadLetters deadLetters;
    private final DeliveryPool pool;
    private final int history;
    private volatile AckTracker acks;
    /** Open snapshot windows by their watermark's token. */
    private final Map<String, SnapshotWindow> windows = new ConcurrentHashMap<>();
    /** Names this run of the stream in event ids: positions of another run (or client) mean nothing here. */
    private volatile String streamId = newStreamId();

    /** Where events a subscription gave up on are reported. */
    @FunctionalInterface
    public interface DeadLetters {
        void record(String subscriptionId, List<ChangeEvent> events, Throwable error);
    }

    /**
     * Delivering on {@code pool}'s threads, which {@link #close()} ends, and keeping the last {@code history} events of
     * each subscribed table for subscriptions that resume (none when 0).
     */
    public Dispatcher(Consumer<Position> confirm, PgFlashObserver observer, DeadLetters deadLetters,
            DeliveryPool pool, int history) {
        this.confirm = confirm;
        this.observer = observer;
        this.deadLetters = deadLetters;
        this.pool = pool;
        this.history = history;
        this.acks = new AckTracker(confirm);
    }

    /** Starts acknowledging afresh, for a new run of the driver: event ids of the run before cannot resume. */
    public void reset() {
        acks = new AckTracker(confirm);
        streamId = newStreamId();
    }

    private static String newStreamId() {
        return Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    }

    /**
     * The id a client keeps to resume after {@code event}: this run's name and the event's position, marked when the
     * event is the DELETE half of a split key change (its INSERT half shares the position and must still come).
     */
    public String eventId(ChangeEvent event) {
        return streamId + ":" + event.position() + (opensSplitKeyChange(event) ? ":" + DELETE_HALF : "");
    }

    /** The DELETE half of a split key change: an UPDATE's DELETE without a new row (one that left a filter has it). */
    private static boolean opensSplitKeyChange(ChangeEvent event) {
        return event.operation() == Operation.DELETE && event.sourceOperation() == Operation.UPDATE
                && event.newRow() == null;
    }

    /** Where {@code eventId} resumes, or null when it names no event of this run (another run, or not an id). */
    private ResumePoint resumePointOf(String eventId) {
        String[] parts = eventId.split(":", -1);
        boolean deleteHalf = parts.length == 4 && parts[3].equals(DELETE_HALF);
        if ((parts.length != 3 && !deleteHalf) || !parts[0].equals(streamId)) {
            return null;
        }
        try {
            return new ResumePoint(new Position(Long.parseUnsignedLong(parts[1]), Long.parseUnsignedLong(parts[2])),
                    deleteHalf);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** After the event at {@code position}, or between the halves of the split key change there. */
    private record ResumePoint(Position position, boolean afterDeleteHalf) {

        /** The kept events to replay through {@code route}, or null when some of them are no longer kept. */
        List<ChangeEvent> replay(TableHistory kept, Route route) {
            if (!afterDeleteHalf) {
                List<ChangeEvent> after = kept.after(position);
                return after == null ? null : matched(route, after);
            }
            List<ChangeEvent> from = kept.from(position);
            if (from == null) {
                return null;
            }
            List<ChangeEvent> replay = matched(route, from);
            // the client saw the DELETE half at this position: what it has still to see starts with the INSERT half
            for (int i = 0; i < replay.size() && replay.get(i).position().equals(position); i++) {
                if (opensSplitKeyChange(replay.get(i))) {
                    return replay.subList(i + 1, replay.size());
                }
            }
            return replay;
        }
    }

    /**
     * Starts delivering the table's matching events to {@code listener} on the delivery pool's threads, up to
     * {@code maxBatch} at a time. If the subscription's overflow policy cuts it off, its route is removed and
     * {@code whenCutOff} runs, on the reader's thread: it must not wait. A resumable subscription starts with the
     * kept events after the one {@code resumeAfter} names (an {@link #eventId} given out before), or with a gap notice
     * when they are not all kept; null starts with what comes next.
     */
    public Route add(String id, SubscriptionMatcher matcher, TableName table, BatchChangeListener listener,
            int maxBatch, Runnable whenCutOff, String resumeAfter) {
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
        TableRoutes tableRoutes = routes.computeIfAbsent(table, t -> new TableRoutes());
        if (tableRoutes.all().isEmpty()) {
            tableRoutes.restartHistory(); // the table may have gone uncaptured since its last subscription left
        }
        if (matcher.spec().resumable() && history > 0) {
            resume(tableRoutes.keepHistory(history), tableRoutes, route, resumeAfter);
        } else if (resumeAfter != null) {
            gapBefore(route, cannotResume(resumeAfter, "this client keeps no history (its history size is 0)"));
            tableRoutes.add(route);
        } else {
            tableRoutes.add(route);
        }
        return route;
    }

    /**
     * Adds a route that starts with the kept events after {@code resumeAfter}. Under the history's lock, which the
     * reader holds to record each event: the events recorded so far are replayed from here, and marked so the reader
     * does not hand them over again; those recorded later reach the route live, after the replay.
     */
    private void resume(TableHistory kept, TableRoutes tableRoutes, Route route, String resumeAfter) {
        synchronized (kept) {
            ResumePoint after = resumeAfter == null ? null : resumePointOf(resumeAfter);
            List<ChangeEvent> replay = after == null ? null : after.replay(kept, route);
            route.replayedUpTo = kept.newest();
            if (resumeAfter != null && replay == null) {
                gapBefore(route, cannotResume(resumeAfter, after == null
                        ? "it is not an event id of this run of the stream"
                        : "the events after it are no longer kept"));
            } else if (replay != null && replay.size() > route.matcher.spec().overflow().buffer()) {
                // more than its buffer: queueing them would wait here, under the locks the reader needs
                gapBefore(route, cannotResume(resumeAfter, replay.size() + " events after it are more than the"
                        + " subscription's buffer of " + route.matcher.spec().overflow().buffer()));
                replay = null;
            }
            tableRoutes.add(route); // the reader cannot hand it anything newer while this holds the lock
            if (replay != null) {
                replay(route, replay); // fits the new, empty lanes: never waits
            }
        }
    }

    private static List<ChangeEvent> matched(Route route, List<ChangeEvent> events) {
        List<ChangeEvent> matched = new ArrayList<>();
        for (ChangeEvent event : events) {
            matched.addAll(match(route, event));
        }
        return matched;
    }

    private static void replay(Route route, List<ChangeEvent> events) {
        AckTracker.Batch delivered = new AckTracker(position -> { }).open(null); // confirmed when first delivered
        try {
            for (ChangeEvent event : events) {
                route.worker.offer(event, delivered);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgFlashException("Interrupted while resuming subscription " + route.id, e);
        }
        delivered.seal();
    }

    private static void gapBefore(Route route, StreamGap gap) {
        try {
            route.worker.gap(gap);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgFlashException("Interrupted while adding subscription " + route.id, e);
        }
    }

    private static StreamGap cannotResume(String eventId, String why) {
        return new StreamGap("cannot resume after event " + eventId + ": " + why + "; changes may have been missed",
                Instant.now());
    }

    /** Stops routing to {@code route}; drops what it has queued and waits for the event in hand. */
    public void remove(Route route, Duration timeout) {
        TableRoutes tableRoutes = routes.get(route.table);
        if (tableRoutes != null) {
            tableRoutes.remove(route);
            if (tableRoutes.all().isEmpty()) {
                tableRoutes.restartHistory(); // nothing may be captured until the next subscription
            }
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
        ReadyLanes ready = new ReadyLanes(pool);
        try {
            for (ChangeEvent event : events) {
                observeReceived(event);
                TableRoutes tableRoutes = routes.get(event.table());
                if (tableRoutes == null) {
                    continue;
                }
                tableRoutes.record(event);
                for (Route route : tableRoutes.candidates(event)) {
                    if (route.replayedUpTo != null && event.position().compareTo(route.replayedUpTo) <= 0) {
                        continue; // replayed to it when it resumed
                    }
                    for (ChangeEvent matched : match(route, event)) {
                        route.touchWindows(matched);
                        route.worker.offer(matched, batch, ready);
                    }
                }
            }
        } finally {
            ready.flush();
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

    private static @Nullable ChangeEvent read(Route route, Row row, Instant timestamp, Position position) {
        try {
            return route.matcher.read(route.table, row, timestamp, position);
        } catch (RuntimeException e) {
            log.error("Subscription {} cannot match a snapshot row at {} on {}: {}; skipping it for this subscription",
                    route.id, position, route.table, e.getMessage());
            return null;
        }
    }

    @Override
    public void gap(StreamGap gap) throws InterruptedException {
        // what touched their chunks' keys may be among what was missed, and so may their watermarks: read them again
        windows.values().forEach(this::closeWindow);
        for (TableRoutes tableRoutes : routes.values()) {
            tableRoutes.restartHistory();
            for (Route route : tableRoutes.all()) {
                route.worker.gap(gap);
            }
        }
    }

    /**
     * Opens a snapshot window for the next chunk of {@code route}'s table: from now on the reader notes the keys of
     * the events it hands the route, until the window's watermark (named by its token) comes through the stream.
     */
    public SnapshotWindow openWindow(Route route) {
        SnapshotWindow window = new SnapshotWindow(route, newStreamId() + newStreamId());
        windows.put(window.token(), window);
        route.addWindow(window);
        return window;
    }

    /** Closes a window whose watermark will not come (the client stops, or the read failed). */
    public void closeWindow(SnapshotWindow window) {
        if (windows.remove(window.token(), window)) {
            window.route().removeWindow(window);
            window.giveUp();
        }
    }

    /**
     * A snapshot chunk's watermark came through the stream at {@code position}: its rows that no change touched
     * meanwhile go to their subscription now, in stream order. A token of no open window (another client's, or one
     * given up) is ignored.
     */
    @Override
    public void watermark(String token, Position position) throws InterruptedException {
        SnapshotWindow window = windows.remove(token);
        if (window == null) {
            return;
        }
        Route route = window.route();
        route.removeWindow(window);
        // in order with the events around it; confirms nothing itself
        AckTracker.Batch batch = acks.open(null, window::markHandled);
        ReadyLanes ready = new ReadyLanes(pool);
        int delivered = 0;
        try {
            Instant now = Instant.now();
            for (Row row : window.passed()) {
                ChangeEvent read = read(route, row, now, position);
                if (read != null) {
                    route.worker.offer(read, batch, ready);
                    delivered++;
                }
            }
        } finally {
            ready.flush();
            batch.seal();
            window.complete(delivered);
        }
    }

    /** Tells {@code route}'s listener of its snapshot, in order with what it has queued. */
    public void snapshotNotice(Route route, SnapshotNotice notice) throws InterruptedException {
        route.worker.notice(notice);
    }

    /** One subscription's place in the routing table. */
    public static final class Route {
        private final String id;
        private final TableName table;
        private final SubscriptionMatcher matcher;
        private final SubscriptionWorker worker;
        /** Set before a resuming route is added: events up to here were replayed to it. */
        private Position replayedUpTo;
        /** Its snapshot's chunks on their way (mostly none): the keys of what it is handed are noted in each. */
        private volatile SnapshotWindow[] windows = new SnapshotWindow[0];

        private Route(String id, TableName table, SubscriptionMatcher matcher, SubscriptionWorker worker) {
            this.id = id;
            this.table = table;
            this.matcher = matcher;
            this.worker = worker;
        }

        SubscriptionMatcher matcher() {
            return matcher;
        }

        TableName table() {
            return table;
        }

        public String id() {
            return id;
        }

        private synchronized void addWindow(SnapshotWindow window) {
            SnapshotWindow[] more = Arrays.copyOf(windows, windows.length + 1);
            more[windows.length] = window;
            windows = more;
        }

        private synchronized void removeWindow(SnapshotWindow window) {
            windows = Arrays.stream(windows).filter(open -> open != window).toArray(SnapshotWindow[]::new);
        }

        /**
         * Notes the keys of an event this route is handed in its open windows: only what it gets makes its snapshot's
         * rows stale (a change its filter, operations or partial fields leave out does not reach it, so the row read
         * stays what it would see).
         */
        private void touchWindows(ChangeEvent event) {
            for (SnapshotWindow window : windows) {
                window.touch(event);
            }
        }
    }
}
