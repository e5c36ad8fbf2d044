package io.pgflash.core.driver;

import org.jspecify.annotations.Nullable;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import java.util.List;

/** Where a driver hands what it read: table-level events with full rows, and notices of gaps. */
public interface EventSink {

    /**
     * Hands over events in commit order; {@code upTo} is the position the driver may confirm once they and every
     * earlier event are handled (see {@link ChangeDriver#confirm}), or null when this batch ends mid-transaction.
     * An empty list with a position lets an idle driver confirm. Waits while subscribers are full (backpressure).
     */
    void accept(List<ChangeEvent> events, @Nullable Position upTo) throws InterruptedException;

    /** Changes may have been missed (the driver cannot replay them). */
    void gap(StreamGap gap) throws InterruptedException;

    /**
     * The watermark of a snapshot chunk, named by {@code token}, came through the stream at {@code position}, in order
     * with the events around it (see {@link ChangeDriver#emitWatermark}). Tokens the sink does not know are ignored.
     */
    default void watermark(String token, Position position) throws InterruptedException {
    }
}
