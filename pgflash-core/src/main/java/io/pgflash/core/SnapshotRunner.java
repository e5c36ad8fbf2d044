package io.pgflash.core;

import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.GroupRole;
import io.pgflash.core.driver.SnapshotCheckpoints.Checkpoint;
import io.pgflash.core.internal.dispatch.Dispatcher;
import io.pgflash.core.internal.dispatch.SnapshotWindow;
import io.pgflash.core.internal.value.CopyTextRow;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads tables for subscriptions' snapshots, one at a time, a chunk after another in key order (keyset pagination),
 * each chunk taken into the stream through a {@link SnapshotWindow} and the driver's watermark. Memory holds a few
 * chunks.
 */
final class SnapshotRunner {

    private static final Logger log = LoggerFactory.getLogger(SnapshotRunner.class);
    /** Tries of a chunk whose window was spoiled (a gap, a key the stream could not name) before giving up. */
    private static final int MAX_TRIES = 10;
    /**
     * Chunks read ahead while the stream brings the earlier ones' watermarks: the snapshot moves at the reading's
     * pace, not one stream round trip per chunk (the durable mode's rounds take milliseconds to bring one). Memory
     * holds at most this many chunks, and past {@link #IN_FLIGHT_BYTES} of their rows' text no more are read.
     */
    private static final int IN_FLIGHT = 16;
    private static final long IN_FLIGHT_BYTES = 8L << 20;

    private final ConnectionFactory connections;
    private final ChangeDriver driver;
    private final Dispatcher dispatcher;
    private final int chunkSize;
    private final PgFlashObserver observer;
    /** Each subscription's snapshot under way, or its last one. */
    private final Map<String, SnapshotProgress> progress = new ConcurrentHashMap<>();
    /** Snapshots asked for that have not begun, by subscription: asking again joins the one waiting. */
    private final Map<String, CompletableFuture<Long>> queued = new ConcurrentHashMap<>();
    private ExecutorService executor;
    /** Bumped by {@link #stop()}: a snapshot of an earlier run ends. */
    private volatile long run;

    SnapshotRunner(ConnectionFactory connections, ChangeDriver driver, Dispatcher dispatcher, int chunkSize,
            PgFlashObserver observer) {
        this.connections = connections;
        this.driver = driver;
        this.dispatcher = dispatcher;
        this.chunkSize = chunkSize;
        this.observer = observer;
    }

    /** The snapshots under way, and the last one of each subscription that had one, oldest first. */
    List<SnapshotProgress> progress() {
        return progress.values().stream().sorted(Comparator.comparing(SnapshotProgress::startedAt)).toList();
    }

    /** Forgets a cancelled subscription's snapshots. */
    void forget(String subscriptionId) {
        progress.remove(subscriptionId);
    }

    /**
     * What a snapshot reads, and for whom.
     *
     * @param signature what the subscription reads (table, key, filter): a checkpoint of another signature is not
     *        continued
     * @param mode the subscription's snapshot mode
     * @param byMode whether its mode asked for it (at start), rather than an application (on demand) or a gap
     */
    record Job(Dispatcher.Route route, TableMetadata table, List<String> keyColumns, BooleanSupplier active,
            String signature, SnapshotMode mode, boolean byMode) {
    }

    /** Reads {@code job}'s table after the snapshots asked for before; completes with the rows delivered. */
    synchronized CompletableFuture<Long> submit(Job job) {
        if (executor == null) {
            executor = Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "pgflash-snapshot");
                thread.setDaemon(true);
                return thread;
            });
        }
        CompletableFuture<Long> snapshot = new CompletableFuture<>();
        CompletableFuture<Long> waiting = queued.putIfAbsent(job.route().id(), snapshot);
        if (waiting != null) {
            return waiting;
        }
        long submittedIn = run;
        try {
            executor.execute(() -> {
                queued.remove(job.route().id(), snapshot); // begun: a snapshot asked for from now on reads again
                try {
                    snapshot.complete(read(job, submittedIn));
                } catch (Throwable e) {
                    snapshot.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.remove(job.route().id(), snapshot);
            snapshot.completeExceptionally(new PgFlashException("Snapshot of " + job.table().name() + ": the client"
                    + " is closed", e));
        }
        return snapshot;
    }

    /** Reads the job's table, publishing its progress; what it throws names the table and the fix where one is known. */
    private long read(Job job, long submittedIn) {
        SnapshotTally tally = new SnapshotTally(job, progress, observer);
        try {
            return read(job, submittedIn, tally);
        } catch (SQLException e) {
            String fix = "42501".equals(e.getSQLState()) ? " (it reads the table: GRANT SELECT ON "
                    + job.table().name().quoted() + " to the role pgflash connects as)" : "";
            throw tally.failed(new PgFlashException("Snapshot of " + job.table().name() + " failed: "
                    + e.getMessage() + fix, e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (!running(job, submittedIn)) {
                throw tally.failed(stopped(job));
            }
            throw tally.failed(new PgFlashException("Snapshot of " + job.table().name() + " was interrupted", e));
        } catch (RuntimeException e) {
            throw tally.failed(e);
        }
    }

    /** Ends the snapshots under way and those asked for (the client stops); their chunks are given up. */
    synchronized void stop() {
        run++;
    }

    /** Ends the thread, for a client that will not start again. */
    synchronized void close() {
        stop();
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private long read(Job job, long submittedIn, SnapshotTally tally) throws SQLException, InterruptedException {
        TableName table = job.table().name();
        awaitReading(job, submittedIn);
        try (Connection connection = connections.open()) {
            ChunkCheckpoints checkpoints = checkpoints(job);
            Checkpoint start;
            try {
                ConnectionFactory.pinValueOutput(connection); // the chunks' texts as the decoder reads them
                connection.setAutoCommit(false);
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                start = checkpoints.start(connection);
            } catch (SQLException | RuntimeException e) {
                tally.failed(e); // a listener waiting for the snapshot learns it will not come
                dispatcher.snapshotNotice(job.route(), new SnapshotNotice(table, SnapshotNotice.Phase.FAILED, 0,
                        Instant.now()));
                throw e;
            }
            if (start.completed()) {
                log.info("Snapshot of {} for subscription {} was completed by an earlier start of its group ({} rows);"
                        + " not taken again", table, job.route().id(), start.rows());
                return 0;
            }
            boolean resumed = start.lastKey() != null;
            dispatcher.snapshotNotice(job.route(), new SnapshotNotice(table, resumed ? SnapshotNotice.Phase.RESUMED
                    : SnapshotNotice.Phase.STARTED, start.rows(), Instant.now()));
            tally.resumedAt(start.rows());
            try {
                long delivered = readChunks(connection, job, submittedIn, tally, start, checkpoints);
                dispatcher.snapshotNotice(job.route(), new SnapshotNotice(table, SnapshotNotice.Phase.COMPLETED,
                        delivered, Instant.now()));
                tally.completed();
                return delivered;
            } catch (SQLException | InterruptedException | RuntimeException e) {
                tally.failed(e); // shown ended before the notice, which waits for the listener's turn
                // in order after the rows it delivered, so a listener that was building a copy knows it is not whole
                dispatcher.snapshotNotice(job.route(), new SnapshotNotice(table, SnapshotNotice.Phase.FAILED,
                        tally.rowsDelivered(), Instant.now()));
                throw e;
            }
        }
    }

    /** Waits while this instance stands by in its consumer group: a snapshot is read where the stream is. */
    private void awaitReading(Job job, long submittedIn) throws InterruptedException {
        while (!reading()) {
            requireRunning(job, submittedIn);
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    private boolean reading() {
        return driver.groupRole().map(role -> role == GroupRole.ACTIVE).orElse(true);
    }

    private long readChunks(Connection connection, Job job, long submittedIn, SnapshotTally tally, Checkpoint start,
            ChunkCheckpoints checkpoints) throws SQLException, InterruptedException {
        TableName table = job.table().name();
        long delivered = start.rows();
        Deque<Chunk> inFlight = new ArrayDeque<>();
        ChunkMarker marker = new ChunkMarker(connections, driver, job.table());
        try {
            SnapshotTable snapshotTable = new SnapshotTable(connection, job.table(), job.keyColumns());
            snapshotTable.requireUniqueKey();
            ChunkQuery query = ChunkQuery.of(job.table(), job.keyColumns(), snapshotTable.keyTypes());
            tally.started(snapshotTable.estimatedRows());
            // rows past the last key now are written after the snapshot began: they come as changes, and a chunk
            // that chased them would never end
            List<String> endKey = snapshotTable.lastKey();
            List<String> after = start.lastKey();
            boolean allRead = endKey == null;
            int tries = 1;
            while (!allRead || !inFlight.isEmpty()) {
                // a chunk whose watermark has passed is counted before another is read, and before a stop saves
                // how far the listener got: its rows may be handled already
                boolean oldestPassed = !inFlight.isEmpty() && inFlight.peekFirst().window().closed().isDone();
                if (!oldestPassed) {
                    endIfStopped(connection, job, submittedIn, checkpoints);
                }
                checkpoints.saveHandled(connection, false);
                if (!oldestPassed && !allRead && inFlight.size() < IN_FLIGHT
                        && inFlight.stream().mapToLong(Chunk::bytes).sum() < IN_FLIGHT_BYTES) {
                    Chunk chunk = readChunk(connection, marker, job, query, after, endKey, true);
                    tally.read(chunk.rows());
                    allRead = chunk.rows() < chunkSize;
                    after = chunk.lastKey();
                    if (chunk.rows() > 0) {
                        inFlight.addLast(chunk);
                    }
                    continue;
                }
                // kept in flight while it is waited for: whatever ends the wait, the finally below closes its window
                Chunk oldest = inFlight.peekFirst();
                awaitMarked(oldest);
                SnapshotWindow.Outcome outcome = await(oldest.window(), submittedIn, job, () -> checkpoints
                        .saveHandled(connection, false));
                inFlight.removeFirst();
                if (outcome.spoiled()) {
                    if (!running(job, submittedIn)) {
                        continue; // given up because the client or the subscription stops: nothing to read again
                    }
                    awaitReading(job, submittedIn);
                    if (++tries > MAX_TRIES) {
                        throw new PgFlashException("Snapshot of " + table + " gave up: a chunk was read "
                                + MAX_TRIES + " times and each time the stream could not tell which of its rows"
                                + " changed meanwhile (gaps, or a key outside the table's replica identity)");
                    }
                    // the same keys again, between the bounds it had (the chunks after it hold the keys past them)
                    Chunk again = readChunk(connection, marker, job, query, oldest.after(), oldest.lastKey(), false);
                    tally.read(again.rows());
                    if (again.rows() > 0) {
                        inFlight.addFirst(again);
                    }
                    continue;
                }
                tries = 1;
                delivered += outcome.delivered();
                tally.delivered(outcome.delivered());
                checkpoints.delivered(oldest.window(), oldest.lastKey(), delivered);
            }
            // a stop that gave up the last chunks ends the loop too: the snapshot did not complete
            endIfStopped(connection, job, submittedIn, checkpoints);
            checkpoints.complete(connection, delivered, () -> requireRunning(job, submittedIn));
        } finally {
            inFlight.forEach(chunk -> dispatcher.closeWindow(chunk.window()));
            marker.close();
        }
        return delivered;
    }

    /** Waits until the chunk's rows are decoded and its watermark written, failing as that failed. */
    private void awaitMarked(Chunk chunk) throws SQLException, InterruptedException {
        try {
            chunk.marked().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException failure) {
                throw failure;
            }
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw (Error) e.getCause(); // what else a task throws
        }
    }

    private boolean running(Job job, long submittedIn) {
        return run == submittedIn && job.active().getAsBoolean();
    }

    /** Ends the snapshot if the client or the subscription stops, saving how far the listener handled it first. */
    private void endIfStopped(Connection connection, Job job, long submittedIn, ChunkCheckpoints checkpoints)
            throws SQLException {
        if (!running(job, submittedIn)) {
            checkpoints.saveHandled(connection, true); // the next start goes on from what was handled
        }
        requireRunning(job, submittedIn);
    }

    private void requireRunning(Job job, long submittedIn) {
        if (!running(job, submittedIn)) {
            throw stopped(job);
        }
    }

    private static SnapshotStoppedException stopped(Job job) {
        return new SnapshotStoppedException("Snapshot of " + job.table().name() + " ended: the subscription or the"
                + " client stopped");
    }

    /** A snapshot ended because its subscription or the client stopped: a shutdown, not a failure to report. */
    static final class SnapshotStoppedException extends PgFlashException {
        SnapshotStoppedException(String message) {
            super(message);
        }
    }

    /** The job's checkpoints: kept for an initial snapshot with a driver that keeps its group's place. */
    private ChunkCheckpoints checkpoints(Job job) {
        return new ChunkCheckpoints(job.mode() == SnapshotMode.INITIAL ? driver.snapshotCheckpoints().orElse(null)
                : null, job);
    }

    /**
     * One chunk read: the keys after {@code after} up to {@code lastKey}, {@code rows} rows of {@code bytes} of text,
     * marked in the stream once {@code marked} completes.
     */
    private record Chunk(SnapshotWindow window, List<String> after, int rows, List<String> lastKey, long bytes,
            CompletableFuture<Void> marked) {
    }

    /**
     * Opens a window and reads the rows after {@code after} (a key's texts, null from the start) up to {@code upTo} (a
     * chunk of them when {@code limited}) as their texts, then hands them to the marker: every change committed after
     * the rows were read is handed over after the window opened, and the watermark, which the marker writes once the
     * rows are attached, commits after the read and so after every change committed before it. The read commits on
     * its own; while the marker decodes this chunk, the next one streams in.
     */
    private Chunk readChunk(Connection connection, ChunkMarker marker, Job job, ChunkQuery query, List<String> after,
            List<String> upTo, boolean limited) throws SQLException {
        SnapshotWindow window = dispatcher.openWindow(job.route());
        connection.setAutoCommit(true);
        try {
            List<byte[]> rows = new ArrayList<>(chunkSize);
            long bytes = 0;
            // COPY rather than a query: the texts of the output functions, as a text result would give them, at
            // about 1.5 times the rate pgjdbc reads a result's rows
            CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyOut(query.sql(after, upTo, limited ? chunkSize : 0));
            for (byte[] row = copy.readFromCopy(); row != null; row = copy.readFromCopy()) {
                rows.add(row);
                bytes += row.length;
            }
            if (rows.isEmpty()) {
                dispatcher.closeWindow(window);
                return new Chunk(window, after, 0, limited ? after : upTo, 0, CompletableFuture.completedFuture(null));
            }
            List<String> lastKey = query.keyOf(CopyTextRow.split(rows.get(rows.size() - 1)));
            return new Chunk(window, after, rows.size(), limited ? lastKey : upTo, bytes, marker.mark(window, rows));
        } catch (SQLException | RuntimeException e) {
            dispatcher.closeWindow(window);
            throw e;
        } finally {
            if (!connection.isClosed()) { // a broken connection's failure is the one to report
                connection.setAutoCommit(false);
            }
        }
    }

    /** Waits for the window's watermark, saving meanwhile how far the listener handled the chunks before. */
    private SnapshotWindow.Outcome await(SnapshotWindow window, long submittedIn, Job job, SqlAction meanwhile)
            throws InterruptedException, SQLException {
        while (true) {
            try {
                return window.closed().get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                meanwhile.run();
                // stopping, or standing by now (another instance reads the watermark): the chunk is given up
                if (run != submittedIn || !job.active().getAsBoolean() || !reading()) {
                    dispatcher.closeWindow(window);
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("a window does not fail", e);
            }
        }
    }

    /** Work on the snapshot's connection. */
    @FunctionalInterface
    private interface SqlAction {
        void run() throws SQLException;
    }
}
