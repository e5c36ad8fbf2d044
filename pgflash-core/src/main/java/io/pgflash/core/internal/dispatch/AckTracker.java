package io.pgflash.core.internal.dispatch;

import io.pgflash.core.Position;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Confirms a position to the driver only when every delivery of every batch up to it is done, in batch order, so a
 * driver never confirms past an event a listener has not handled (or the error policy disposed of).
 */
public final class AckTracker {

    private final Consumer<Position> confirm;
    private final Deque<Batch> open = new ArrayDeque<>();
    private boolean halted;

    public AckTracker(Consumer<Position> confirm) {
        this.confirm = confirm;
    }

    /** Opens a batch ending at {@code position} (null: nothing to confirm after it); call {@link Batch#seal()} once all its deliveries are handed out. */
    public Batch open(Position position) {
        return open(position, null);
    }

    /** Opens a batch as {@link #open(Position)} does, running {@code whenDone} once its own deliveries are done. */
    public synchronized Batch open(Position position, Runnable whenDone) {
        Batch batch = new Batch(position, whenDone);
        open.addLast(batch);
        return batch;
    }

    /**
     * Confirms nothing more: a shutdown is giving up on events it could not deliver, and must not let them count as
     * handled (the next start gets them again).
     */
    public synchronized void halt() {
        halted = true;
    }

    /** Runs a batch's own hook unless halted: a shutdown drops events after halting, and they were not handled. */
    private synchronized void runUnlessHalted(Runnable whenDone) {
        if (!halted) {
            whenDone.run();
        }
    }

    private void completed() {
        Position confirmed = null;
        synchronized (this) {
            if (halted) {
                return;
            }
            while (!open.isEmpty() && open.peekFirst().pending.get() == 0) {
                Position position = open.pollFirst().position;
                confirmed = position != null ? position : confirmed;
            }
        }
        if (confirmed != null) {
            confirm.accept(confirmed);
        }
    }

    /**
     * The deliveries of one batch of events; it completes when sealed and every delivery is done. Counting takes no
     * lock (the reader adds and the delivery threads finish one event each, at once): the tracker's lock is taken
     * only when a batch completes.
     */
    public final class Batch {
        private final Position position;
        private final Runnable whenDone;
        private final AtomicInteger pending = new AtomicInteger(1); // the seal

        private Batch(Position position, Runnable whenDone) {
            this.position = position;
            this.whenDone = whenDone;
        }

        /** One more delivery that must be done before the batch completes. */
        public void add() {
            pending.incrementAndGet();
        }

        public void done() {
            if (pending.decrementAndGet() == 0) {
                if (whenDone != null) {
                    runUnlessHalted(whenDone);
                }
                completed();
            }
        }

        /** All deliveries are handed out. */
        public void seal() {
            done();
        }
    }
}
