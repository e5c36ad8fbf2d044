package io.pgflash.benchmarks;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/** Latency samples in microseconds, recorded from listener threads; reading sorts a copy. */
final class Latencies {

    private final long[] samples;
    private final AtomicInteger count = new AtomicInteger();

    Latencies(int capacity) {
        this.samples = new long[capacity];
    }

    void record(long micros) {
        int index = count.getAndIncrement();
        if (index < samples.length) {
            samples[index] = micros;
        }
    }

    void reset() {
        count.set(0);
    }

    /** The p-th percentile (0..100), in milliseconds, and the maximum as p = 100. */
    double percentileMillis(double p) {
        long[] sorted = Arrays.copyOf(samples, Math.min(count.get(), samples.length));
        if (sorted.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(sorted);
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(index, sorted.length - 1))] / 1000.0;
    }

    int size() {
        return Math.min(count.get(), samples.length);
    }
}
