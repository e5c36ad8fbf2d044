package io.pgflash.core.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.Row;
import io.pgflash.core.StreamGap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one subscription's events to its listener on its own threads ("lanes"). One lane keeps commit order;
 * with more, an event goes to the lane of its key, so one key's events stay in order. Queues are bounded: a slow
 * listener makes {@link #offer} wait, which slows the driver down instead of filling memory.
 */
final class SubscriptionWorker {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionWorker.class);
    private static final int QUEUE_CAPACITY = 1024;

    private final String id;
    private final ChangeListener listener;
    private final ErrorPolicy errorPolicy;
    private final List<Lane> lanes = new ArrayList<>();
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

    /** Queues an event; waits while its lane is full. */
    void offer(ChangeEvent event, AckTracker.Batch batch) throws InterruptedException {
        Lane lane = lanes.get(lanes.size() == 1 ? 0 : Math.floorMod(keyHash(event.key()), lanes.size()));
        batch.add();
        lane.queue.put(new Item(event, null, batch));
    }

    void gap(StreamGap gap) throws InterruptedException {
        lanes.get(0).queue.put(new Item(null, gap, null));
    }

    private static int keyHash(Row key) {
        return key == null ? 0 : key.asMap().values().stream().mapToInt(v -> v instanceof byte[] b
                ? java.util.Arrays.hashCode(b) : java.util.Objects.hashCode(v)).reduce(17, (a, b) -> 31 * a + b);
    }

    /** Stops taking events: queued ones are dropped (and released), the one being handled finishes. */
    void cancel(Duration timeout) {
        cancelled = true;
        for (Lane lane : lanes) {
            List<Item> dropped = new ArrayList<>();
            lane.queue.drainTo(dropped);
            dropped.forEach(Item::release);
            lane.queue.offer(Item.STOP);
        }
        join(timeout);
    }

    /** Delivers what is queued, then stops; waits up to {@code timeout}, then interrupts the listener. */
    void drainAndStop(Duration timeout) throws InterruptedException {
        for (Lane lane : lanes) {
            lane.queue.put(Item.STOP);
        }
        join(timeout);
    }

    private void join(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Lane lane : lanes) {
            try {
                lane.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (lane.thread.isAlive()) {
                log.warn("Subscription {} did not finish within {}; interrupting its listener", id, timeout);
                lane.thread.interrupt();
            }
        }
    }

    private void deliver(ChangeEvent event) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                listener.onChange(event);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Throwable e) { // Errors too (AssertionError, NoClassDefFoundError): the lane must not die
                if (cancelled) {
                    return;
                }
                if (attempt < errorPolicy.maxAttempts()) {
                    Duration delay = errorPolicy.backOff().delay(attempt);
                    log.debug("Subscription {} failed on {} (attempt {}), retrying in {}", id, event.position(),
                            attempt, delay, e);
                    Thread.sleep(delay.toMillis());
                } else {
                    giveUp(event, e, attempt);
                    return;
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
                        } else {
                            deliver(item.event);
                        }
                    } catch (Throwable e) {
                        log.error("Subscription {}: listener failed on a stream gap notice", id, e);
                    } finally {
                        item.release();
                    }
                }
            } catch (InterruptedException e) {
                log.debug("Subscription {} lane interrupted", id);
            }
        }
    }
}
