package io.pgflash.core;

import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.RowDecoder;
import io.pgflash.core.internal.dispatch.SnapshotWindow;
import io.pgflash.core.internal.value.CopyTextRow;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes chunks and writes their watermarks, one after another in the order read, on a thread and a connection of
 * its own: the snapshot's connection reads the next chunk meanwhile (read then decoded on one thread, a chunk
 * kept both the server and the client waiting on each other).
 */
final class ChunkMarker {

    /** Its log lines keep the runner's category, which users may have configured. */
    private static final Logger log = LoggerFactory.getLogger(SnapshotRunner.class);
    private final ConnectionFactory connections;
    private final ChangeDriver driver;
    private final TableMetadata table;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(task -> {
        Thread marker = new Thread(task, "pgflash-snapshot-marker");
        marker.setDaemon(true);
        return marker;
    });
    /** Opened by the marker's thread for the first chunk: a table without rows is read on one connection. */
    private volatile @Nullable Connection connection;

    ChunkMarker(ConnectionFactory connections, ChangeDriver driver, TableMetadata table) {
        this.connections = connections;
        this.driver = driver;
        this.table = table;
    }

    /** Decodes the chunk's rows, attaches them to its window, then writes its watermark. */
    CompletableFuture<Void> mark(SnapshotWindow window, List<byte[]> texts) {
        return CompletableFuture.runAsync(() -> {
            if (window.closed().isDone()) {
                return; // given up: the snapshot ends
            }
            List<Row> rows = new ArrayList<>(texts.size());
            for (byte[] row : texts) {
                rows.add(RowDecoder.decode(table, CopyTextRow.split(row, table.columns().size()), true));
            }
            window.attach(rows);
            try {
                driver.emitWatermark(connection(), window.token());
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        }, thread);
    }

    private Connection connection() throws SQLException {
        Connection open = connection;
        if (open == null) {
            open = connections.open();
            try {
                open.setAutoCommit(true);
            } catch (SQLException e) {
                open.close();
                throw e;
            }
            connection = open;
            if (thread.isShutdown()) { // closed while it connected: close() may not have seen it
                open.close();
                throw new SQLException("Snapshot of " + table.name() + " ended while its marker connected");
            }
        }
        return open;
    }

    /** Ends the thread, then the connection; chunks not marked yet are not. */
    void close() {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("Snapshot of {}: its marker did not end in 10 s", table.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Connection open = connection;
        if (open == null) {
            return;
        }
        try {
            open.close();
        } catch (SQLException e) {
            log.debug("Snapshot of {}: closing the marker's connection failed: {}", table.name(), e.toString());
        }
    }
}
