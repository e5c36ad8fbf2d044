package io.pgflash.benchmarks;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SnapshotMode;
import io.pgflash.core.SnapshotNotice;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.io.OutputStream;
import java.sql.Connection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;

/**
 * Snapshots: a table of N rows read by an initial snapshot of one subscription, in a client JVM of its own
 * ({@value #HEAP}, the memory bound), against {@code COPY ... TO STDOUT} of the same table (the server's
 * limit) in the same run. Reported with the peak heap, and for the WAL driver the WAL its slot kept at the end.
 */
final class SnapshotRead {

    static final String HEAP = "-Xmx256m";
    static final String TABLE = "snap";

    record Result(double rowsPerSecond, double peakHeapMb, double retainedWalMb, String failure) {

        boolean finished() {
            return failure == null;
        }
    }

    private final BenchServer server;

    SnapshotRead(BenchServer server) {
        this.server = server;
    }

    /** Makes the table: an int key, a text, a number and a time per row, analyzed (for the progress estimate). */
    void createTable(int rows) throws Exception {
        server.execute("DROP TABLE IF EXISTS " + TABLE + " CASCADE", "CREATE TABLE " + TABLE + " (id int PRIMARY KEY,"
                        + " title text NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT now())",
                "INSERT INTO " + TABLE + " SELECT g, 'title ' || g, g % 100 FROM generate_series(1, " + rows + ") g",
                "VACUUM ANALYZE " + TABLE);
    }

    void dropTable() throws Exception {
        server.execute("DROP TABLE IF EXISTS " + TABLE + " CASCADE");
    }

    /** Rows per second of {@code COPY table TO STDOUT} into a stream that only counts. */
    double copyRowsPerSecond() throws Exception {
        try (Connection connection = server.connect()) {
            long start = System.nanoTime();
            long rows = connection.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + TABLE + " TO STDOUT",
                    OutputStream.nullOutputStream());
            return rows / ((System.nanoTime() - start) / 1e9);
        }
    }

    Result run(Consumers kind) throws Exception {
        ChildJvm.Run child = ChildJvm.run(SnapshotRead.class, HEAP, server, kind.name());
        if (child.failure() != null) {
            return new Result(0, 0, 0, child.failure());
        }
        double[] f = child.fields();
        return new Result(f[0], f[1], f[2], null);
    }

    /** The child JVM: the arg is the consumer kind; the server comes from bench.url, the table exists. */
    public static void main(String[] args) throws Exception {
        Consumers kind = Consumers.valueOf(args[0]);
        try (BenchServer server = BenchServer.start()) {
            server.recreateBenchTable(); // checks no slot is left over
            String slot = BenchServer.uniqueName("pgflash_snap");
            try (PgFlash flash = PgFlash.builder().jdbcUrl(server.url, server.user, server.password)
                    .driver(driver(kind, slot)).build()) {
                measure(server, flash, kind == Consumers.WAL ? slot : null);
            } finally {
                server.execute("DROP SCHEMA IF EXISTS bench_snap_durable CASCADE");
            }
        }
        System.exit(0);
    }

    private static ChangeDriver driver(Consumers kind, String slot) {
        return switch (kind) {
            case NOTIFY -> NotifyDriver.builder().schema("bench_snap_notify").removeSchemaOnShutdown(true).build();
            case DURABLE -> DurableDriver.builder().schema("bench_snap_durable").group("snap").build();
            case WAL -> WalDriver.builder().slotName(slot).publicationName(slot).dropSlotOnShutdown(true).build();
            default -> throw new IllegalArgumentException("no snapshot run for " + kind);
        };
    }

    private static void measure(BenchServer server, PgFlash flash, String slot) throws Exception {
        AtomicLong rows = new AtomicLong();
        CountDownLatch completed = new CountDownLatch(1);
        flash.subscribe(SubscriptionSpec.table(TABLE).snapshot(SnapshotMode.INITIAL).build(), new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) {
                rows.incrementAndGet();
            }

            @Override
            public void onSnapshot(SnapshotNotice notice) {
                if (notice.phase() == SnapshotNotice.Phase.COMPLETED) {
                    completed.countDown();
                }
            }
        });
        System.gc();
        HeapSampler heap = new HeapSampler();
        heap.start();
        long start = System.nanoTime();
        flash.start();
        if (!completed.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the snapshot did not complete in 10 minutes: " + flash.snapshots());
        }
        double rowsPerSecond = rows.get() / ((System.nanoTime() - start) / 1e9);
        heap.interrupt();
        double retainedWalMb = slot == null ? 0 : Double.parseDouble(server.queryString(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) / 1048576.0 FROM pg_replication_slots"
                        + " WHERE slot_name = '" + slot + "'"));
        System.out.println(ChildJvm.RESULT + rowsPerSecond + " " + heap.peakUsed.get() / 1048576.0 + " "
                + retainedWalMb);
    }
}
