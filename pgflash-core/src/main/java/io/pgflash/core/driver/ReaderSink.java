package io.pgflash.core.driver;

import org.jspecify.annotations.Nullable;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The sink as a driver's reader thread uses it, knowing when the reader waits there for room: a stop can then end that
 * wait at once (what was not handed over is not confirmed, so a driver that keeps events delivers it again), instead
 * of waiting for listeners that may be stuck, while a reader in a database call is left to finish it.
 */
public final class ReaderSink implements EventSink {

    private final EventSink sink;
    private volatile Thread waiting;

    public ReaderSink(EventSink sink) {
        this.sink = sink;
    }

    @Override
    public void accept(List<ChangeEvent> events, @Nullable Position upTo) throws InterruptedException {
        waiting = Thread.currentThread();
        try {
            sink.accept(events, upTo);
        } finally {
            waiting = null;
        }
    }

    @Override
    public void gap(StreamGap gap) throws InterruptedException {
        waiting = Thread.currentThread();
        try {
            sink.gap(gap);
        } finally {
            waiting = null;
        }
    }

    @Override
    public void watermark(String token, Position position) throws InterruptedException {
        waiting = Thread.currentThread();
        try {
            sink.watermark(token, position);
        } finally {
            waiting = null;
        }
    }

    /**
     * Waits up to {@code max} for a stopped reader to end, ending each wait for room it gets into meanwhile; returns
     * whether it ended.
     */
    public boolean awaitEnd(Thread reader, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (reader.isAlive() && System.nanoTime() < deadline) {
            Thread handingOver = waiting;
            if (handingOver != null) {
                handingOver.interrupt();
            }
            reader.join(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
        }
        return !reader.isAlive();
    }
}
