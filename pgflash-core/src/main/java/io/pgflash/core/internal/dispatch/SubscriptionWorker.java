package io.pgflash.core.internal.dispatch;

import io.pgflash.core.BackOff;
import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.OverflowPolicy;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.SnapshotNotice;
import io.pgflash.core.StreamGap;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one subscription's events to its listener, in "lanes" run on the client's shared {@link DeliveryPool}.
 * One lane keeps commit order; with more, an event goes to the lane of its key, so one key's events stay in order.
 * A lane runs on one pool thread at a time, and only while it has events. Queues are bounded: a slow listener makes
 * {@link #offer} wait, which slows the driver down instead of filling memory. Every event offered is released to its
 * batch exactly once, delivered or dropped, so acknowledgements never stall.
 */
final class SubscriptionWorker {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionWorker.class);
    /**
     * A lane's turn on a pool thread before it lets other lanes have it: 16 batches, and past them up to
     * {@link #EVENTS_PER_TURN} events while the turn is shorter than {@link #TURN_NANOS}. A fast single-event listener
     * then yields every 256 events rather than every 16: each yield hands the lane to the pool again, which cost
     * more than the listener (a snapshot's READ events took 2.5 times the delivery CPU); a slow listener still
     * yields after 16 events.
     */
    private static final int BATCHES_PER_TURN = 16;
    private static final int EVENTS_PER_TURN = 256;
    private static final long TURN_NANOS = 1_000_000;
    /** Between tries to record dead letters: the database may need time to recover. */
    private static final BackOff DEAD_LETTER_BACK_OFF = BackOff.exponential(Duration.ofMillis(100),
            Duration.ofSeconds(10));
    private static final Set<String> TRANSIENT_SQL_STATE_CLASSES = Set.of("08", "53", "57", "40", "55", "58");

    private final String id;
    private final BatchChangeListener listener;
    private final int maxBatch;
    private final ErrorPolicy errorPolicy;
    private final PgFlashObserver observer;
    private final Dispatcher.DeadLetters deadLetters;
    private final DeliveryPool pool;
    private final List<Lane> lanes = new ArrayList<>();
    /** The lanes' first, held directly: with one subscription per client the reader reaches it with one look less. */
    private final Lane firstLane;
    private final OverflowPolicy overflow;
    /** The overflow policy's, held here for the same reason. */
    private final OverflowPolicy.Action overflowAction;
    private final int overflowBuffer;
    /** Run (on the reader's thread) once the subscription was cut off for falling behind. */
    private final Runnable whenCutOff;
    /** Set when cancelled or when a shutdown gives up waiting: queued events are dropped, not delivered. */
    private volatile boolean cancelled;
    /** Set when cut off for falling behind: what is queued is the notice, then the lanes stop. */
    private volatile boolean cutOff;

    /** Up to {@code maxBatch} queued events at a time to {@code listener}. */
    SubscriptionWorker(String id, BatchChangeListener listener, int maxBatch, ErrorPolicy errorPolicy, int concurrency,
            PgFlashObserver observer, Dispatcher.DeadLetters deadLetters, DeliveryPool pool, OverflowPolicy overflow,
            Runnable whenCutOff) {
        this.id = id;
        this.listener = listener;
        this.maxBatch = maxBatch;
        this.errorPolicy = errorPolicy;
        this.observer = observer;
        this.deadLetters = deadLetters;
        this.pool = pool;
        this.overflow = overflow;
        this.whenCutOff = whenCutOff;
        this.overflowAction = overflow.action();
        this.overflowBuffer = overflow.buffer();
        for (int i = 0; i < concurrency; i++) {
            lanes.add(new Lane());
        }
        this.firstLane = lanes.get(0);
    }

    /**
     * Queues an event. When its lane's buffer is full it waits ({@link OverflowPolicy.Action#BLOCK}), drops the
     * oldest waiting event, or cuts the subscription off. Does nothing once cancelled or cut off.
     */
    void offer(ChangeEvent event, AckTracker.Batch batch) throws InterruptedException {
        offer(event, batch, null);
    }

    /**
     * Like {@link #offer(ChangeEvent, AckTracker.Batch)}, leaving the lane to {@code ready} to hand to the pool if it
     * needs running (the reader's batch), or handing it over at once when {@code ready} is null.
     */
    void offer(ChangeEvent event, AckTracker.Batch batch, ReadyLanes ready) throws InterruptedException {
        Lane lane = lanes.size() == 1 ? firstLane : lanes.get(Math.floorMod(keyHash(event.key()), lanes.size()));
        if (cancelled || cutOff || lane.stopped) {
            return;
        }
        if (overflowAction == OverflowPolicy.Action.CUT_OFF && lane.queue.size() >= overflowBuffer) {
            cutOff();
            return;
        }
        Item item = new Item(event, null, null, batch);
        // counted before the wait: an event whose put is interrupted (a stopping reader) keeps its batch, and every
        // position after it, from being confirmed
        batch.add();
        if (overflowAction == OverflowPolicy.Action.DROP_OLDEST) {
            lane.putDroppingOldest(item);
        } else if (!lane.queue.offer(item)) {
            if (ready != null) {
                ready.flush(); // the lanes that would make room may be among those not handed over yet
            }
            lane.queue.put(item);
        }
        if ((cancelled || lane.stopped) && lane.queue.remove(item)) {
            item.release(); // cancelled while we queued it: nobody will take it
            return;
        }
        if (ready == null) {
            lane.schedule();
        } else {
            lane.scheduleWith(ready);
        }
    }

    void gap(StreamGap gap) throws InterruptedException {
        queueOnFirstLane(new Item(null, gap, null, null));
    }

    /**
     * Queues a snapshot notice on the first lane (with concurrency above 1, other lanes may still deliver rows of the
     * snapshot after its COMPLETED notice).
     */
    void notice(SnapshotNotice notice) throws InterruptedException {
        queueOnFirstLane(new Item(null, null, notice, null));
    }

    private void queueOnFirstLane(Item item) throws InterruptedException {
        Lane lane = firstLane;
        if (!cancelled && !cutOff && !lane.stopped) {
            if (overflow.action() == OverflowPolicy.Action.BLOCK) {
                lane.queue.put(item);
            } else {
                lane.putDroppingOldest(item);
            }
            lane.schedule();
        }
    }

    /**
     * Ends a subscription that fell behind its buffer: what it has queued is dropped (and so confirmed), its listener
     * gets a gap notice after the event in hand, then its lanes stop. Runs on the reader's thread, without waiting.
     */
    private void cutOff() {
        cutOff = true;
        whenCutOff.run(); // cancelled before its notice can be delivered, so the listener sees it inactive
        log.warn("Subscription {} fell {} events behind and is cut off", id, overflow.buffer());
        StreamGap notice = new StreamGap("subscription " + id + " fell " + overflow.buffer() + " events behind and"
                + " was cut off: it gets nothing more", Instant.now());
        for (Lane lane : lanes) {
            lane.dropQueued();
            if (lane == lanes.get(0)) {
                lane.queue.offer(new Item(null, notice, null, null));
            }
            lane.queue.offer(Item.STOP); // the buffer keeps room for these two
            lane.schedule();
        }
    }

    static BatchChangeListener asBatch(ChangeListener listener) {
        return new BatchChangeListener() {
            @Override
            public void onChanges(List<ChangeEvent> events) throws Exception {
                listener.onChange(events.get(0));
            }

            @Override
            public void onGap(StreamGap gap) {
                listener.onGap(gap);
            }

            @Override
            public void onSnapshot(SnapshotNotice notice) {
                listener.onSnapshot(notice);
            }
        };
    }

    private static int keyHash(Row key) {
        int hash = 17;
        if (key != null) {
            for (Object value : key.asMap().values()) {
                hash = 31 * hash + (value instanceof byte[] bytes ? Arrays.hashCode(bytes) : Objects.hashCode(value));
            }
        }
        return hash;
    }

    /**
     * Stops taking events: queued ones are dropped, the one in hand finishes (waiting up to {@code timeout}, then the
     * listener is interrupted). Safe to call from the listener itself.
     */
    void cancel(Duration timeout) {
        cancelled = true;
        lanes.forEach(Lane::cancel);
        join(System.nanoTime() + timeout.toNanos(), () -> { });
    }

    /**
     * Delivers what is queued, then stops. After {@code deadline} (nanoTime) it calls {@code beforeGivingUp} (so the
     * events it is about to drop are not acknowledged), drops the rest and interrupts the listener.
     */
    void drainAndStop(long deadline, Runnable beforeGivingUp) throws InterruptedException {
        for (Lane lane : lanes) {
            if (lane.queue.offer(Item.STOP, Math.max(0, deadline - System.nanoTime()))) {
                lane.schedule();
            } else {
                beforeGivingUp.run();
                cancelled = true;
                lane.cancel();
            }
        }
        join(deadline, beforeGivingUp);
    }

    private void join(long deadline, Runnable beforeGivingUp) {
        for (Lane lane : lanes) {
            if (lane.runsOnCurrentThread()) {
                continue; // cancelled by its own listener: it stops when the listener returns
            }
            try {
                lane.finished.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (lane.finished.getCount() > 0) {
                log.warn("Subscription {} did not finish in time; interrupting its listener", id);
                beforeGivingUp.run();
                cancelled = true;
                lane.cancel();
                lane.interruptListener();
            }
        }
    }

    /** Tries the events as the error policy says; false when the lane must stop (interrupted by a shutdown). */
    private boolean deliver(List<ChangeEvent> events) {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                listener.onChanges(events);
            } catch (Throwable e) { // Errors too (AssertionError, NoClassDefFoundError): the lane must not die
                if (cancelled) {
                    return false;
                }
                if (e instanceof InterruptedException) {
                    Thread.interrupted(); // the listener's own interruption, not a shutdown: a failure like others
                }
                if (attempt >= errorPolicy.maxAttempts() || !errorPolicy.blocks() && nonRetryable(e)) {
                    if (!recordDeadLetters(events, e)) {
                        return false;
                    }
                    observe(events, giveUp(events, e, attempt), start);
                    return true;
                }
                Duration delay = errorPolicy.backOff().delay(attempt);
                log.debug("Subscription {} failed on {} (attempt {}), retrying in {}", id, events.get(0).position(),
                        attempt, delay, e);
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException interrupted) {
                    return false;
                }
                continue;
            }
            observe(events, PgFlashObserver.Outcome.SUCCESS, start);
            return true;
        }
    }

    /** Whether {@code e}, or an exception it was caused by, says that trying again cannot help. */
    private static boolean nonRetryable(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof io.pgflash.core.NonRetryable) {
                return true;
            }
        }
        return false;
    }

    /** Reports to the observer; its failure must not count as the listener's (that would deliver twice). */
    private void observe(List<ChangeEvent> events, PgFlashObserver.Outcome outcome, long start) {
        try {
            observer.delivered(id, events, outcome, Duration.ofNanos(System.nanoTime() - start));
        } catch (RuntimeException e) {
            log.warn("Observer failed for subscription {}: {}", id, e.toString());
        }
    }

    /**
     * Records events given up on with the driver (the durable mode's dead-letter table): their positions are
     * confirmed once this returns, so while the database cannot take them (a lost connection, a full disk) it tries
     * again, and the events do not get past. A letter the database refuses for good (a value it cannot store) is
     * logged and skipped, as nothing would change by waiting. False if the lane was stopped meanwhile.
     */
    private boolean recordDeadLetters(List<ChangeEvent> events, Throwable error) {
        for (int attempt = 1; ; attempt++) {
            try {
                deadLetters.record(id, events, error);
                return true;
            } catch (RuntimeException e) {
                if (cancelled) {
                    return false;
                }
                if (!passing(e)) {
                    log.error("Subscription {}: could not record {} dead letter(s) from {}; they are only in this"
                            + " log: {}", id, events.size(), events.get(0).position(), e.getMessage());
                    return true;
                }
                Duration delay = DEAD_LETTER_BACK_OFF.delay(attempt);
                log.error("Subscription {}: could not record {} dead letter(s) from {}, trying again in {}: {}", id,
                        events.size(), events.get(0).position(), delay, e.getMessage());
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException interrupted) {
                    return false;
                }
            }
        }
    }

    /**
     * Whether a failure may pass by waiting: the database unreachable, out of resources, restarting, or in a
     * conflict ({@code SQLSTATE} classes 08, 53, 57, 40, 55, 58).
     */
    private static boolean passing(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().length() >= 2) {
                return TRANSIENT_SQL_STATE_CLASSES.contains(sql.getSQLState().substring(0, 2));
            }
        }
        return false;
    }

    private PgFlashObserver.Outcome giveUp(List<ChangeEvent> events, Throwable error, int attempts) {
        if (errorPolicy.recoverer() == null) {
            log.error("Subscription {} skips {} event(s) from {} on {} after {} attempt(s)", id, events.size(),
                    events.get(0).position(), events.get(0).table(), attempts, error);
            return PgFlashObserver.Outcome.SKIPPED;
        }
        for (ChangeEvent event : events) {
            try {
                errorPolicy.recoverer().recover(event, error);
            } catch (Throwable recoverError) {
                recoverError.addSuppressed(error);
                log.error("Subscription {}: the recoverer failed on event {}; skipping it", id, event.position(),
                        recoverError);
            }
        }
        return PgFlashObserver.Outcome.RECOVERED;
    }

    private record Item(ChangeEvent event, StreamGap gap, SnapshotNotice snapshot, AckTracker.Batch batch) {
        static final Item STOP = new Item(null, null, null, null);

        void release() {
            if (batch != null) {
                batch.done();
            }
        }
    }

    /**
     * One ordered stream of the subscription's events. It is scheduled on the pool when an event arrives and it is
     * not already scheduled, and runs until its queue is empty (or its turn is up), so it runs on one thread at a time.
     */
    private final class Lane implements ReadyLanes.Lane {
        private static final VarHandle SCHEDULED;

        static {
            try {
                SCHEDULED = MethodHandles.lookup().findVarHandle(Lane.class, "scheduled", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        // room past the buffer for a cut-off's notice and STOP
        final LaneQueue<Item> queue = new LaneQueue<>(overflow.action() == OverflowPolicy.Action.BLOCK
                ? overflow.buffer() : overflow.buffer() + 2);
        /** What was dropped since the last gap notice; guarded by {@code queue}. */
        private long droppedCount;
        private Position firstDropped;
        private Position lastDropped;
        private final List<String> droppedGaps = new ArrayList<>();
        /** Counted down once the lane stopped: it saw STOP, or its listener was interrupted by a shutdown. */
        final CountDownLatch finished = new CountDownLatch(1);
        /** 1 while the lane is claimed to run; an int in the lane (not an AtomicBoolean) is one object fewer to reach. */
        private volatile int scheduled;
        volatile boolean stopped;
        /** The pool thread running the lane's listener, if any; guarded by this lane for interrupting it. */
        private Thread running;

        /** Runs the lane on the pool unless it is scheduled already (or stopped). */
        void schedule() {
            if (stopped || !SCHEDULED.compareAndSet(this, 0, 1)) {
                return;
            }
            try {
                pool.execute(this);
            } catch (RejectedExecutionException e) {
                rejected();
            }
        }

        /** Like {@link #schedule()}, handing the lane to the pool with the others {@code ready} collects. */
        void scheduleWith(ReadyLanes ready) {
            if (!stopped && SCHEDULED.compareAndSet(this, 0, 1)) {
                ready.add(this);
            }
        }

        /** The client was closed: nobody will deliver. */
        @Override
        public void rejected() {
            scheduled = 0;
            finish();
        }

        /**
         * Ends the lane at once (the worker is cancelled): an idle lane is claimed so it never runs again; a running
         * or scheduled one finishes when its run sees the cancellation. Queued events are dropped.
         */
        void cancel() {
            if (SCHEDULED.compareAndSet(this, 0, 1)) {
                finish();
            } else {
                dropQueued();
            }
        }

        synchronized boolean runsOnCurrentThread() {
            return running == Thread.currentThread();
        }

        /** Interrupts the listener in hand, never the pool thread's next task. */
        synchronized void interruptListener() {
            if (running != null) {
                running.interrupt();
            }
        }

        void dropQueued() {
            List<Item> items = new ArrayList<>();
            queue.drainTo(items);
            items.forEach(Item::release);
        }

        /** Queues without waiting: past the buffer the oldest waiting items make room, kept for the gap notice. */
        void putDroppingOldest(Item item) {
            synchronized (queue) {
                while (queue.size() >= overflow.buffer()) {
                    Item oldest = queue.poll();
                    if (oldest == null) {
                        break;
                    }
                    if (oldest.event != null) {
                        droppedCount++;
                        firstDropped = firstDropped == null ? oldest.event.position() : firstDropped;
                        lastDropped = oldest.event.position();
                    } else if (oldest.gap != null) {
                        droppedGaps.add(oldest.gap.reason());
                    }
                    oldest.release();
                }
                queue.offer(item);
            }
        }

        /**
         * Takes the next batch, and the notice of what was dropped before it (null if nothing was): under the
         * queue's lock, so no event newer than a dropped one is taken before the notice.
         */
        private StreamGap takeBatch(List<Item> items) {
            if (overflow.action() != OverflowPolicy.Action.DROP_OLDEST) {
                queue.drainTo(items, maxBatch);
                return null;
            }
            synchronized (queue) {
                StreamGap notice = null;
                if (droppedCount > 0) {
                    notice = new StreamGap("subscription " + id + " fell behind: " + droppedCount + " event(s) were"
                            + " dropped, from position " + firstDropped + " to " + lastDropped
                            + (droppedGaps.isEmpty() ? "" : "; dropped with them: " + String.join("; ", droppedGaps)),
                            Instant.now());
                    droppedCount = 0;
                    firstDropped = null;
                    lastDropped = null;
                    droppedGaps.clear();
                }
                queue.drainTo(items, maxBatch);
                return notice;
            }
        }

        private void finish() {
            stopped = true;
            dropQueued();
            finished.countDown();
        }

        @Override
        public void run() {
            synchronized (this) {
                running = Thread.currentThread();
            }
            try {
                // with one subscription per client, what waits is mostly a single event
                List<Item> items = new ArrayList<>(Math.min(maxBatch, 4));
                long turnStarted = System.nanoTime();
                int events = 0;
                for (int batch = 0; !stopped && !cancelled && (batch < BATCHES_PER_TURN || events < EVENTS_PER_TURN
                        && System.nanoTime() - turnStarted < TURN_NANOS); batch++) {
                    StreamGap dropNotice = takeBatch(items);
                    if (dropNotice != null) {
                        notifyGap(dropNotice);
                    }
                    if (items.isEmpty()) {
                        break;
                    }
                    events += items.size();
                    if (!handle(items)) {
                        finish();
                    }
                    items.clear();
                }
            } finally {
                synchronized (this) {
                    running = null;
                    Thread.interrupted(); // an interrupt meant for this lane's listener ends here
                }
                scheduled = 0;
                if (cancelled && SCHEDULED.compareAndSet(this, 0, 1)) {
                    finish(); // cancel() found the lane scheduled, so ending it is this run's job
                } else if (stopped) {
                    dropQueued();
                } else if (!queue.isEmpty()) {
                    schedule(); // more came, or the turn was up: behind the other lanes waiting for a thread
                }
            }
        }

        /**
         * Handles items in order: runs of events go to the listener together (up to the batch size), gap notices
         * alone. Releases every item. False once the lane must stop.
         */
        private boolean handle(List<Item> items) {
            try {
                if (items.size() == 1 && items.get(0).event != null) { // the common case of one client among many
                    return deliverUnlessCancelled(List.of(items.get(0).event));
                }
                List<ChangeEvent> events = new ArrayList<>(items.size());
                for (Item item : items) {
                    if (item.event != null) {
                        events.add(item.event);
                        continue;
                    }
                    if (!events.isEmpty() && !deliverUnlessCancelled(events)) {
                        return false;
                    }
                    events = new ArrayList<>();
                    if (item == Item.STOP) {
                        return false;
                    }
                    if (item.gap != null) {
                        notifyGap(item.gap);
                    } else {
                        notifySnapshot(item.snapshot);
                    }
                }
                return events.isEmpty() || deliverUnlessCancelled(events);
            } finally {
                items.forEach(Item::release);
            }
        }

        private boolean deliverUnlessCancelled(List<ChangeEvent> events) {
            return cancelled || deliver(events);
        }

        private void notifySnapshot(SnapshotNotice notice) {
            if (cancelled) {
                return;
            }
            try {
                listener.onSnapshot(notice);
            } catch (Throwable e) {
                log.error("Subscription {}: listener failed on a snapshot notice", id, e);
            }
        }

        private void notifyGap(StreamGap gap) {
            if (cancelled) {
                return;
            }
            try {
                listener.onGap(gap);
            } catch (Throwable e) {
                log.error("Subscription {}: listener failed on a stream gap notice", id, e);
            }
        }

    }
}
