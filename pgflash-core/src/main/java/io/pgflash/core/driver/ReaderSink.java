package io.pgflash.core.driver;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import java.util.List;

/**
 * The sink as a driver's reader thread uses it, knowing when the reader waits there for room: a stop can then end that
 * wait at once (what was not handed over is not confirmed, so it comes again), instead of waiting for listeners that
 * may be stuck, while a reader in a database call is left to finish it.
 */
public final class ReaderSink implements EventSink {

    private final EventSink sink;
    private volatile Thread waiting;

    public ReaderSink(EventSink sink) {
        this.sink = sink;
    }

    @Override
    public void accept(List<ChangeEvent> events, Position upTo) throws InterruptedException {
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

    /** Ends the reader's wait for room, if it is waiting. */
    public void stopWaiting() {
        Thread reader = waiting;
        if (reader != null) {
            reader.interrupt();
        }
    }
}
