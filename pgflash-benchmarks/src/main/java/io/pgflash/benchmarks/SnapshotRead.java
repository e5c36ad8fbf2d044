package io.pgflash.benchmarks;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SnapshotMode;
import io.pgflash.core.SnapshotNotice;
import io.pgflash.core.Subscription;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.io.OutputStream;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;

/**
 * Snapshots: a table of N rows read by an initial snapshot of one subscription, in a client JVM of its own
 * ({@value #HEAP}, the memory bound), then again on demand in the same client, against {@code COPY ... TO
 * STDOUT} of the same table (the server's limit) and Debezium embedded with {@code snapshot.mode=initial} in the same
 * run. Reported with the peak heap, and for the WAL driver the WAL its slot kept at the end, also with writers updating
 * the table throughout.
 */
final class SnapshotRead {

    static final String HEAP = "-Xmx256m";
    static final String TABLE = "snap";

    /** Snapshots taken on demand after the initial one, in the running client: the median is reported. */
    static final int ON_DEMAND_RUNS = 3;

    /**
     * @param rowsPerSecond the initial snapshot's, from the client's start
     * @param onDemandRowsPerSecond the median of {@value #ON_DEMAND_RUNS} snapshots on demand in the running client,
     *        from the call to its completion (-1: not measured)
     * @param retainedWalMb the WAL the slot kept at the end (-1: no slot)
     * @param writtenWalMb the WAL written while the snapshot ran (-1: not measured)
     * @param unconfirmedWalMb the WAL past the slot's confirmed position at the end (-1: no slot)
     */
    record Result(double rowsPerSecond, double onDemandRowsPerSecond, double peakHeapMb, double retainedWalMb,
            double writtenWalMb, double unconfirmedWalMb, String failure) {

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

    /** A pgflash client of {@code kind} (or Debezium), with writers updating the table throughout if asked. */
    Result run(Consumers kind, boolean writers) throws Exception {
        ChildJvm.Run child = ChildJvm.run(SnapshotRead.class, HEAP, server, kind.name(), String.valueOf(writers));
        if (child.failure() != null) {
            return new Result(0, -1, 0, -1, -1, -1, child.failure());
        }
        double[] f = child.fields();
        return new Result(f[0], f[1], f[2], f[3], f[4], f[5], null);
    }

    /**
     * What a JVM just started can read at most in chunks of pgflash's default size in key order, each a statement of
     * its own as a snapshot reads them, doing nothing with the rows: the floor under any client that decodes them.
     */
    enum Floor {
        QUERY("floor: a new JVM reads the chunks with a query through pgjdbc, the texts only"),
        COPY("floor: a new JVM reads the chunks with COPY, the bytes only");

        static final int CHUNK = PgFlash.DEFAULT_SNAPSHOT_CHUNK_SIZE;

        final String label;

        Floor(String label) {
            this.label = label;
        }
    }

    /** The floor's rows per second, in a JVM of its own with the same heap (only the first field is set). */
    Result run(Floor floor) throws Exception {
        ChildJvm.Run child = ChildJvm.run(SnapshotRead.class, HEAP, server, "FLOOR", floor.name());
        if (child.failure() != null) {
            return new Result(0, -1, 0, -1, -1, -1, child.failure());
        }
        return new Result(child.fields()[0], -1, child.fields()[1], -1, -1, -1, null);
    }

    /** The child JVM: the consumer kind and whether writers run; the server comes from bench.url, the table exists. */
    public static void main(String[] args) throws Exception {
        if (args[0].equals("FLOOR")) {
            measureFloor(Floor.valueOf(args[1]));
            System.exit(0);
        }
        Consumers kind = Consumers.valueOf(args[0]);
        boolean writers = Boolean.parseBoolean(args[1]);
        try (BenchServer server = BenchServer.start()) {
            server.recreateBenchTable(); // checks no slot is left over
            String slot = BenchServer.uniqueName(kind == Consumers.DEBEZIUM ? "debezium_snap" : "pgflash_snap");
            if (kind == Consumers.DEBEZIUM) {
                measureDebezium(server, slot);
            } else {
                try (PgFlash flash = PgFlash.builder().jdbcUrl(server.url, server.user, server.password)
                        .driver(driver(kind, slot)).build()) {
                    measure(server, flash, kind == Consumers.WAL ? slot : null, writers);
                } finally {
                    server.execute("DROP SCHEMA IF EXISTS bench_snap_durable CASCADE");
                }
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

    private static void measure(BenchServer server, PgFlash flash, String slot, boolean writers) throws Exception {
        AtomicLong rows = new AtomicLong();
        CountDownLatch completed = new CountDownLatch(1);
        Subscription subscription = flash.subscribe(SubscriptionSpec.table(TABLE).snapshot(SnapshotMode.INITIAL)
                .build(), new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) {
                if (event.operation() == Operation.READ) {
                    rows.incrementAndGet();
                }
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
        String walAtStart = server.queryString("SELECT pg_current_wal_lsn()::text");
        Thread writer = writers ? startWriter(server, completed) : null;
        long start = System.nanoTime();
        flash.start();
        if (!completed.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the snapshot did not complete in 10 minutes: " + flash.snapshots());
        }
        double rowsPerSecond = rows.get() / ((System.nanoTime() - start) / 1e9);
        if (writer != null) {
            writer.join();
        }
        double onDemandRowsPerSecond = writers ? -1 : onDemandRowsPerSecond(flash, subscription);
        heap.interrupt();
        double retainedWalMb = slot == null ? -1 : Double.parseDouble(server.queryString(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) / 1048576.0 FROM pg_replication_slots"
                        + " WHERE slot_name = '" + slot + "'"));
        double unconfirmedWalMb = slot == null ? -1 : Double.parseDouble(server.queryString(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) / 1048576.0 FROM"
                        + " pg_replication_slots WHERE slot_name = '" + slot + "'"));
        double writtenWalMb = Double.parseDouble(server.queryString("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '"
                + walAtStart + "') / 1048576.0"));
        System.out.println(ChildJvm.RESULT + rowsPerSecond + " " + onDemandRowsPerSecond + " "
                + heap.peakUsed.get() / 1048576.0 + " " + retainedWalMb + " " + writtenWalMb + " " + unconfirmedWalMb);
    }

    /** The median rate of snapshots asked for in the running client, each from the call to its completion. */
    private static double onDemandRowsPerSecond(PgFlash flash, Subscription subscription) throws Exception {
        List<Double> runs = new ArrayList<>();
        for (int i = 0; i < ON_DEMAND_RUNS; i++) {
            long start = System.nanoTime();
            long rows = flash.snapshot(subscription).get(10, TimeUnit.MINUTES);
            runs.add(rows / ((System.nanoTime() - start) / 1e9));
        }
        Collections.sort(runs);
        return runs.get(runs.size() / 2);
    }

    private static void measureFloor(Floor floor) throws Exception {
        HeapSampler heap = new HeapSampler();
        heap.start();
        long start = System.nanoTime();
        long rows = 0;
        try (BenchServer server = BenchServer.start(); Connection connection = server.connect()) {
            String chunk = "SELECT t.id, t.title, t.n, t.at FROM " + TABLE + " t WHERE t.id > %s ORDER BY t.id LIMIT "
                    + Floor.CHUNK;
            String last = "0";
            for (long read = Floor.CHUNK; read == Floor.CHUNK; rows += read) {
                read = 0;
                if (floor == Floor.QUERY) {
                    try (java.sql.PreparedStatement query = connection.prepareStatement(chunk.formatted("?::int"))) {
                        query.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0); // text, as pgflash
                        query.setString(1, last);
                        try (java.sql.ResultSet rs = query.executeQuery()) {
                            while (rs.next()) {
                                for (int i = 2; i <= 4; i++) {
                                    rs.getString(i);
                                }
                                last = rs.getString(1); // the key's text, as a snapshot reads it for the next start
                                read++;
                            }
                        }
                    }
                } else {
                    org.postgresql.copy.CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI()
                            .copyOut("COPY (" + chunk.formatted(last) + ") TO STDOUT");
                    byte[] lastRow = null;
                    for (byte[] row = copy.readFromCopy(); row != null; row = copy.readFromCopy()) {
                        lastRow = row;
                        read++;
                    }
                    if (lastRow != null) {
                        String text = new String(lastRow, java.nio.charset.StandardCharsets.UTF_8).strip();
                        last = text.substring(0, text.indexOf('\t'));
                    }
                }
            }
        }
        double rowsPerSecond = rows / ((System.nanoTime() - start) / 1e9);
        heap.interrupt();
        System.out.println(ChildJvm.RESULT + rowsPerSecond + " " + heap.peakUsed.get() / 1048576.0);
    }

    /** Updates random rows of the table, a transaction each, until the snapshot completed. */
    private static Thread startWriter(BenchServer server, CountDownLatch completed) {
        Thread writer = new Thread(() -> {
            java.util.Random random = new java.util.Random(7);
            try (Connection connection = server.connect();
                    java.sql.PreparedStatement update = connection.prepareStatement(
                            "UPDATE " + TABLE + " SET n = n + 1 WHERE id = ?")) {
                int rows = Integer.parseInt(server.queryString("SELECT count(*) FROM " + TABLE));
                while (completed.getCount() > 0) {
                    update.setInt(1, 1 + random.nextInt(rows));
                    update.executeUpdate();
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }, "snapshot-bench-writer");
        writer.start();
        return writer;
    }

    /**
     * Debezium's embedded engine with {@code snapshot.mode=initial} on the table: rows per second from the engine's
     * start to its last snapshot record, with its peak heap; its slot is dropped after.
     */
    private static void measureDebezium(BenchServer server, String slot) throws Exception {
        int expected = Integer.parseInt(server.queryString("SELECT count(*) FROM " + TABLE));
        java.nio.file.Path offsets = java.nio.file.Files.createTempFile("debezium-snapshot-offsets", ".dat");
        java.nio.file.Files.delete(offsets); // a new connector: no offsets
        AtomicLong rows = new AtomicLong();
        CountDownLatch completed = new CountDownLatch(1);
        String topic = "bench.public." + TABLE;
        System.gc();
        HeapSampler heap = new HeapSampler();
        heap.start();
        long start = System.nanoTime();
        try (io.debezium.engine.DebeziumEngine<io.debezium.engine.RecordChangeEvent<
                org.apache.kafka.connect.source.SourceRecord>> engine = io.debezium.engine.DebeziumEngine
                        .create(io.debezium.engine.format.ChangeEventFormat.of(io.debezium.embedded.Connect.class))
                        .using(DebeziumConsumer.properties(server, slot, offsets, TABLE, "initial"))
                        .notifying(event -> {
                            if (event.record().value() != null && topic.equals(event.record().topic())
                                    && rows.incrementAndGet() == expected) {
                                completed.countDown();
                            }
                        })
                        .build()) {
            java.util.concurrent.ExecutorService executor = java.util.concurrent.Executors.newSingleThreadExecutor();
            executor.execute(engine);
            if (!completed.await(20, TimeUnit.MINUTES)) {
                throw new IllegalStateException("Debezium's snapshot did not complete in 20 minutes: " + rows.get()
                        + " of " + expected + " rows");
            }
            double rowsPerSecond = rows.get() / ((System.nanoTime() - start) / 1e9);
            heap.interrupt();
            System.out.println(ChildJvm.RESULT + rowsPerSecond + " -1 " + heap.peakUsed.get() / 1048576.0
                    + " -1 -1 -1");
            executor.shutdown();
        } finally {
            server.dropSlotWhenInactive(slot);
            server.execute("DROP PUBLICATION IF EXISTS " + slot);
            java.nio.file.Files.deleteIfExists(offsets);
        }
    }
}
