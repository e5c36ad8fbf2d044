package io.pgflash.core;

import io.pgflash.core.driver.SnapshotCheckpoints;
import io.pgflash.core.driver.SnapshotCheckpoints.Checkpoint;
import io.pgflash.core.internal.dispatch.SnapshotWindow;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one snapshot's place in its driver's {@link SnapshotCheckpoints}: where it starts (after the last key its
 * listener handled, when an interrupted snapshot of the same subscription goes on), and how far it got as its chunks
 * are handled, in key order. Without a store it keeps nothing, and every snapshot starts from the beginning.
 */
final class ChunkCheckpoints {

    private static final Logger log = LoggerFactory.getLogger(ChunkCheckpoints.class);
    /** A checkpoint at most this often: a crash then reads again what the listener handled since, and no more. */
    private static final long SAVE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final @Nullable SnapshotCheckpoints store;
    private final SnapshotRunner.Job job;
    /** Chunks delivered, oldest first, until their listener handled them. */
    private final Deque<Handing> handing = new ArrayDeque<>();
    private @Nullable Handing handled;
    private long savedAt = System.nanoTime();

    /** A chunk delivered: once {@code done}, the listener has handled every row up to {@code lastKey}. */
    private record Handing(CompletableFuture<Void> done, List<String> lastKey, long rows) {
    }

    ChunkCheckpoints(@Nullable SnapshotCheckpoints store, SnapshotRunner.Job job) {
        this.store = store;
        this.job = job;
    }

    /**
     * Where the snapshot starts: after the checkpoint of an interrupted one, when the subscription's mode asked for it
     * and it reads what it read then; a completed checkpoint when its initial snapshot was taken before (nothing to
     * read); else from the beginning, recorded as begun.
     */
    Checkpoint start(Connection connection) throws SQLException {
        Checkpoint fresh = new Checkpoint(job.signature(), null, 0, false);
        if (store == null) {
            return fresh;
        }
        Optional<Checkpoint> last = store.load(connection, job.route().id());
        if (last.isPresent() && job.byMode()) {
            Checkpoint checkpoint = last.get();
            if (!checkpoint.signature().equals(job.signature())) {
                log.info("Snapshot of {} for subscription {} starts from the beginning: the subscription reads"
                        + " another table, key or filter than when its last snapshot ran", job.table().name(),
                        job.route().id());
            } else if (checkpoint.completed() || checkpoint.lastKey() != null) {
                return checkpoint;
            }
        }
        store.save(connection, job.route().id(), fresh);
        return fresh;
    }

    /** A chunk up to {@code lastKey} was delivered, making {@code rows} in all. */
    void delivered(SnapshotWindow window, List<String> lastKey, long rows) {
        if (store != null) {
            handing.addLast(new Handing(window.handled(), lastKey, rows));
        }
    }

    /** Saves how far the listener has handled the chunks, if it got further and a while passed (or {@code now}). */
    void saveHandled(Connection connection, boolean now) throws SQLException {
        while (!handing.isEmpty() && handing.peekFirst().done().isDone()) {
            handled = handing.pollFirst();
        }
        if (store != null && handled != null && (now || System.nanoTime() - savedAt > SAVE_INTERVAL_NANOS)) {
            store.save(connection, job.route().id(), new Checkpoint(job.signature(), handled.lastKey(),
                    handled.rows(), false));
            handled = null;
            savedAt = System.nanoTime();
        }
    }

    /**
     * Waits until the listener handled every chunk, then records the snapshot as completed. {@code running} throws
     * when the snapshot must end (the client or the subscription stops) while it waits.
     */
    void complete(Connection connection, long rows, Runnable running) throws SQLException, InterruptedException {
        if (store == null) {
            return;
        }
        for (Handing chunk : handing) {
            while (true) {
                running.run();
                try {
                    chunk.done().get(200, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    // still handling: look again
                } catch (ExecutionException e) {
                    throw new IllegalStateException("a chunk's handling does not fail", e);
                }
            }
        }
        handing.clear();
        store.save(connection, job.route().id(), new Checkpoint(job.signature(), null, rows, true));
    }
}
