package io.pgflash.benchmarks;

import java.util.concurrent.atomic.AtomicLong;

/** Counts a consumer's events and notes when the first and last arrived after a mark (for drain timings). */
final class Arrivals {

    private final AtomicLong count = new AtomicLong();
    private volatile long first;
    private volatile long last;

    void arrived() {
        long now = System.nanoTime();
        if (first == 0) {
            first = now;
        }
        last = now;
        count.incrementAndGet();
    }

    /** Forgets the times: the next event is the first one. */
    void mark() {
        first = 0;
        last = 0;
    }

    long count() {
        return count.get();
    }

    long firstNanos() {
        return first;
    }

    long lastNanos() {
        return last;
    }
}
