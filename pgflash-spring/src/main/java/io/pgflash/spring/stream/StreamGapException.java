package io.pgflash.spring.stream;

import io.pgflash.core.StreamGap;

/**
 * Ends a per-client stream whose changes may have been missed: it was cut off for falling behind, it could not resume
 * after the event id it was given, or the driver's stream had a gap. The client reloads what it shows, then streams
 * again.
 */
public class StreamGapException extends RuntimeException {

    private final transient StreamGap gap;

    public StreamGapException(StreamGap gap) {
        super(gap.reason());
        this.gap = gap;
    }

    public StreamGap gap() {
        return gap;
    }
}
