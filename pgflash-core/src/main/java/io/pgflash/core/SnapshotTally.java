package io.pgflash.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One snapshot's counts, published as {@link SnapshotProgress} to the runner's progress and the observer, and
 * logged: at the start, every tenth of the estimate (or ten seconds), and at the end.
 */
final class SnapshotTally {
    /** The snapshot's log lines keep the runner's category, which users may have configured. */
    private static final Logger log = LoggerFactory.getLogger(SnapshotRunner.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final SnapshotRunner.Job job;
    private final Map<String, SnapshotProgress> progress;
    private final PgFlashObserver observer;
    private final Instant startedAt = Instant.now();
    private long estimated = -1;
    private long read;
    private long delivered;
    private int loggedPercent;
    private long loggedAt = System.nanoTime();

    /** Publishes into {@code progress}, by subscription id, and to {@code observer}. */
    SnapshotTally(SnapshotRunner.Job job, Map<String, SnapshotProgress> progress, PgFlashObserver observer) {
        this.job = job;
        this.progress = progress;
        this.observer = observer;
    }

    /** Counts the rows an interrupted snapshot's listener handled before (none when it begins now). */
    void resumedAt(long rows) {
        read = rows;
        delivered = rows;
        publish(null, null);
    }

    void started(long estimatedRows) {
        estimated = estimatedRows;
        log.info("Snapshot of {} for subscription {} {} ({})", job.table().name(), job.route().id(),
                read == 0 ? "started" : "resumed after " + read + " rows",
                estimated < 0 ? "no estimate of its rows" : "about " + estimated + " rows");
        publish(null, null);
    }

    void read(int rows) {
        read += rows;
        SnapshotProgress now = publish(null, null);
        int percent = now.percent();
        boolean tenthMore = percent >= 0 && percent / 10 > loggedPercent / 10;
        if (tenthMore || System.nanoTime() - loggedAt > LOG_INTERVAL_NANOS) {
            log.info("Snapshot of {} for subscription {}: {}{} rows read", job.table().name(), job.route().id(),
                    percent < 0 ? "" : percent + "%, ", read);
            loggedPercent = Math.max(percent, 0);
            loggedAt = System.nanoTime();
        }
    }

    long rowsDelivered() {
        return delivered;
    }

    void delivered(int rows) {
        delivered += rows;
        publish(null, null);
    }

    void completed() {
        publish(Instant.now(), null);
        log.info("Snapshot of {} for subscription {} completed: {} rows read, {} delivered in {} ms",
                job.table().name(), job.route().id(), read, delivered,
                Duration.between(startedAt, Instant.now()).toMillis());
    }

    <E extends Exception> E failed(E error) {
        publish(Instant.now(), String.valueOf(error.getMessage()));
        return error;
    }

    private SnapshotProgress publish(Instant endedAt, String failure) {
        SnapshotProgress now = new SnapshotProgress(job.route().id(), job.table().name(), read, delivered,
                estimated, startedAt, endedAt, failure);
        progress.put(job.route().id(), now);
        try {
            observer.snapshotProgress(now);
        } catch (RuntimeException e) {
            log.warn("Observer failed on snapshot progress: {}", e.toString());
        }
        return now;
    }
}
