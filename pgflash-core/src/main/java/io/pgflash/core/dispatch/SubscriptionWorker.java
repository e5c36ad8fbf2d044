package io.pgflash.core.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.Row;
import io.pgflash.core.StreamGap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one subscription's events to its listener on its own threads ("lanes"). One lane keeps commit order;
 * with more, an event goes to the lane of its key, so one key's events stay in order. Queues are bounded: a slow
 * listener makes {@link #offer} wait, which slows the driver down instead of filling memory. Every event offered is
 * released to its batch exactly once, delivered or dropped, so acknowledgements never stall.
 */
final class SubscriptionWorker {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionWorker.class);
    private static final int QUEUE_CAPACITY = 1024;

    private final String id;
    private final ChangeListener listener;
    private final ErrorPolicy errorPolicy;
    private final List<Lane> lanes = new ArrayList<>();
    /** Set when cancelled or when a shutdown gives up waiting: queued events are dropped, not delivered. */
    private volatile boolean cancelled;

    SubscriptionWorker(String id, ChangeListener listener, ErrorPolicy errorPolicy, int concurrency) {
        this.id = id;
        this.listener = listener;
        this.errorPolicy = errorPolicy;
        for (int i = 0; i < concurrency; i++) {
            Lane lane = new Lane("pgflash-" + id + (concurrency > 1 ? "-" + i : ""));
            lanes.add(lane);
            lane.thread.start();
        }
    }

    /** Queues an event; waits while its lane is full. Does nothing once cancelled. */
    void offer(ChangeEvent event, AckTracker.Batch batch) throws InterruptedException {
        if (cancelled) {
            return;
        }
        Lane lane = lanes.get(lanes.size() == 1 ? 0 : Math.floorMod(keyHash(event.key()), lanes.size()));
        Item item = new Item(event, null, batch);
        batch.add();
        lane.queue.put(item);
        if (cancelled && lane.queue.remove(item)) {
            item.release(); // cancelled while we queued it: nobody will take it
        }
    }

    void gap(StreamGap gap) throws InterruptedException {
        if (!cancelled) {
            lanes.get(0).queue.put(new Item(null, gap, null));
        }
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
        for (Lane lane : lanes) {
            lane.dropQueued();
            lane.queue.offer(Item.STOP);
        }
        join(System.nanoTime() + timeout.toNanos());
    }

    /** Delivers what is queued, then stops; after {@code deadline} (nanoTime) drops the rest and interrupts. */
    void drainAndStop(long deadline) throws InterruptedException {
        for (Lane lane : lanes) {
            if (!lane.queue.offer(Item.STOP, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                cancelled = true;
                lane.dropQueued();
                lane.queue.offer(Item.STOP);
            }
        }
        join(deadline);
    }

    private void join(long deadline) {
        for (Lane lane : lanes) {
            if (lane.thread == Thread.currentThread()) {
                continue; // cancelled by its own listener: it stops when the listener returns
            }
            try {
                lane.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (lane.thread.isAlive()) {
                log.warn("Subscription {} did not finish in time; interrupting its listener", id);
                cancelled = true;
                lane.thread.interrupt();
            }
        }
    }

    /** Tries the event as the error policy says; false when the lane must stop (interrupted by a shutdown). */
    private boolean deliver(ChangeEvent event) {
        for (int attempt = 1; ; attempt++) {
            try {
                listener.onChange(event);
                return true;
            } catch (Throwable e) { // Errors too (AssertionError, NoClassDefFoundError): the lane must not die
                if (cancelled) {
                    return false;
                }
                if (e instanceof InterruptedException) {
                    Thread.interrupted(); // the listener's own interruption, not a shutdown: a failure like others
                }
                if (attempt >= errorPolicy.maxAttempts()) {
                    giveUp(event, e, attempt);
                    return true;
                }
                Duration delay = errorPolicy.backOff().delay(attempt);
                log.debug("Subscription {} failed on {} (attempt {}), retrying in {}", id, event.position(), attempt,
                        delay, e);
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException interrupted) {
                    return false;
                }
            }
        }
    }

    private void giveUp(ChangeEvent event, Throwable error, int attempts) {
        if (errorPolicy.recoverer() == null) {
            log.error("Subscription {} skips event {} on {} after {} attempt(s)", id, event.position(), event.table(),
                    attempts, error);
            return;
        }
        try {
            errorPolicy.recoverer().recover(event, error);
        } catch (Throwable recoverError) {
            recoverError.addSuppressed(error);
            log.error("Subscription {}: the recoverer failed on event {}; skipping it", id, event.position(),
                    recoverError);
        }
    }

    private record Item(ChangeEvent event, StreamGap gap, AckTracker.Batch batch) {
        static final Item STOP = new Item(null, null, null);

        void release() {
            if (batch != null) {
                batch.done();
            }
        }
    }

    private final class Lane implements Runnable {
        final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        final Thread thread;

        Lane(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        void dropQueued() {
            List<Item> dropped = new ArrayList<>();
            queue.drainTo(dropped);
            dropped.forEach(Item::release);
        }

        @Override
        public void run() {
            try {
                while (true) {
                    Item item = queue.take();
                    if (item == Item.STOP) {
                        return;
                    }
                    try {
                        if (cancelled) {
                            continue;
                        }
                        if (item.gap != null) {
                            listener.onGap(item.gap);
                        } else if (!deliver(item.event)) {
                            return;
                        }
                    } catch (Throwable e) {
                        log.error("Subscription {}: listener failed on a stream gap notice", id, e);
                    } finally {
                        item.release();
                    }
                }
            } catch (InterruptedException e) {
                log.debug("Subscription {} lane interrupted", id);
            } finally {
                dropQueued();
            }
        }
    }
}
