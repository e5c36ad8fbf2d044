package io.pgflash.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Backlog drain: a consumer is stopped, a backlog is committed by 4 pgbench clients (in transactions of a given
 * number of rows), then the consumer starts and reads it all. Each consumer runs in its own JVM with
 * {@code -Xmx256m}, so the run also shows whether the backlog fits in a small heap (backpressure, not an ever-growing
 * queue). Reported: events per second from the first to the last event, the start-up time before the first one, the
 * peak heap used, and the largest heap a garbage collection left.
 */
final class BacklogDrain {

    static final String HEAP = "-Xmx256m";

    record Result(long events, double startupSeconds, double eventsPerSecond, double peakHeapMb, double liveHeapMb,
            String failure) {

        boolean finished() {
            return failure == null;
        }
    }

    /**
     * One transaction of many rows committed while the consumer runs: how long the writer took, and from its commit
     * the time to the first and to the last event.
     */
    record LargeTransaction(long events, double writeSeconds, double firstSeconds, double lastSeconds,
            double peakHeapMb, double liveHeapMb, String failure) {

        boolean finished() {
            return failure == null;
        }
    }

    private final BenchServer server;

    BacklogDrain(BenchServer server) {
        this.server = server;
    }

    Result run(Consumers kind, int rowsPerTransaction, int rows) throws Exception {
        ChildJvm.Run child = runChild(kind, "drain", String.valueOf(rowsPerTransaction), String.valueOf(rows));
        if (child.failure() != null) {
            return new Result(0, 0, 0, 0, 0, child.failure());
        }
        double[] f = child.fields();
        Result result = new Result((long) f[0], f[1], f[2], f[3], f[4], null);
        System.out.printf("backlog drain, %-10s %d events (%d-row transactions): %8.0f/s after %.1f s of start-up,"
                + " peak heap %.0f MB, live %.0f MB (%s)%n", kind, result.events(), rowsPerTransaction,
                result.eventsPerSecond(), result.startupSeconds(), result.peakHeapMb(), result.liveHeapMb(), HEAP);
        return result;
    }

    /** One transaction of {@code rows} rows, committed while the consumer (in its own JVM) runs. */
    LargeTransaction largeTransaction(Consumers kind, int rows) throws Exception {
        ChildJvm.Run child = runChild(kind, "large", "0", String.valueOf(rows));
        if (child.failure() != null) {
            return new LargeTransaction(0, 0, 0, 0, 0, 0, child.failure());
        }
        double[] f = child.fields();
        LargeTransaction result = new LargeTransaction((long) f[0], f[1], f[2], f[3], f[4], f[5], null);
        System.out.printf("large transaction, %-22s %d rows written in %.1f s; after its commit the first event in"
                + " %.1f s, the last in %.1f s; peak heap %.0f MB, live %.0f MB (%s)%n", kind, result.events(),
                result.writeSeconds(), result.firstSeconds(), result.lastSeconds(), result.peakHeapMb(),
                result.liveHeapMb(), HEAP);
        return result;
    }

    /** Runs {@link #main} in a JVM of its own and reads its result line. */
    private ChildJvm.Run runChild(Consumers kind, String mode, String rowsPerTransaction, String rows) throws Exception {
        return ChildJvm.run(BacklogDrain.class, HEAP, server, mode, kind.name(), rowsPerTransaction, rows);
    }

    /**
     * The server's own decoding rate for the same backlog: PostgreSQL's {@code pg_recvlogical} reads a pgoutput slot
     * of the same publication to {@code /dev/null} (its output is counted, not kept), from its first byte to its
     * end. A consumer cannot drain faster than this. With {@code binary}, pgoutput sends values in their binary
     * form (its {@code binary} option) instead of as text.
     */
    Result recvlogical(int rowsPerTransaction, int rows, boolean binary) throws Exception {
        server.recreateBenchTable();
        String name = BenchServer.uniqueName("pgflash_recv");
        server.execute("CREATE PUBLICATION " + name + " FOR TABLE bench",
                "SELECT pg_create_logical_replication_slot('" + name + "', 'pgoutput')");
        try {
            String transaction = rowsPerTransaction == 1 ? WriteOverhead.SINGLE_ROW
                    : WriteOverhead.rows(rowsPerTransaction);
            long backlog = (long) server.pgbenchCount(transaction, 4, rows / rowsPerTransaction) * rowsPerTransaction;
            String end = server.queryString("SELECT pg_current_wal_lsn()::text");
            URI address = URI.create(server.url.substring("jdbc:".length()));
            List<String> command = List.of(pgRecvlogicalPath(), "-h", address.getHost(),
                    "-p", String.valueOf(address.getPort() > 0 ? address.getPort() : 5432), "-U", server.user,
                    "-d", address.getPath().substring(1), "--slot", name, "--start", "--no-loop", "-E", end,
                    "-o", "proto_version=1", "-o", "publication_names=" + name, "-o", "binary=" + binary, "-f", "-");
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().put("PGPASSWORD", server.password);
            long start = System.nanoTime();
            Process process = builder.start();
            long first = 0;
            byte[] buffer = new byte[1 << 16];
            try (var output = process.getInputStream()) {
                for (int read = output.read(buffer); read >= 0; read = output.read(buffer)) {
                    if (first == 0 && read > 0) {
                        first = System.nanoTime();
                    }
                }
            }
            long last = System.nanoTime();
            if (process.waitFor() != 0 || first == 0) {
                return new Result(0, 0, 0, 0, 0, "pg_recvlogical exited with " + process.exitValue());
            }
            Result result = new Result(backlog, (first - start) / 1e9, backlog / ((last - first) / 1e9), 0, 0, null);
            System.out.printf("backlog drain, pg_recvlogical%s %d events (%d-row transactions): %8.0f/s after %.1f s"
                    + "%n", binary ? " (binary)" : "", backlog, rowsPerTransaction, result.eventsPerSecond(),
                    result.startupSeconds());
            return result;
        } finally {
            server.execute("SELECT pg_drop_replication_slot('" + name + "')", "DROP PUBLICATION " + name);
        }
    }

    private static String pgRecvlogicalPath() {
        return Stream.of(System.getenv("PATH").split(File.pathSeparator)).map(dir -> Path.of(dir, "pg_recvlogical"))
                .filter(Files::isExecutable).map(Path::toString).findFirst()
                .orElseThrow(() -> new IllegalStateException("pg_recvlogical does not run here: it comes with"
                        + " pgbench in Debian's postgresql-15 package (apt-get install postgresql-15)"));
    }

    /**
     * The child JVM: args are the mode ({@code drain} or {@code large}), the consumer kind, rows per transaction (for
     * a drain) and rows; the server comes from bench.url.
     */
    public static void main(String[] args) throws Exception {
        Consumers kind = Consumers.valueOf(args[1]);
        int rowsPerTransaction = Integer.parseInt(args[2]);
        int rows = Integer.parseInt(args[3]);
        try (BenchServer server = BenchServer.start()) {
            server.recreateBenchTable();
            try (ChangeConsumer consumer = kind.create(server)) {
                Consumers.startAndWarmUp(consumer, server);
                if (args[0].equals("large")) {
                    largeTransactionChild(server, consumer, rows);
                } else {
                    drainChild(server, consumer, rowsPerTransaction, rows);
                }
            }
        }
        System.exit(0); // engines may leave non-daemon threads behind
    }

    private static void drainChild(BenchServer server, ChangeConsumer consumer, int rowsPerTransaction, int rows)
            throws Exception {
        consumer.stop();
        long before = consumer.received();
        String transaction = rowsPerTransaction == 1 ? WriteOverhead.SINGLE_ROW
                : WriteOverhead.rows(rowsPerTransaction);
        long backlog = (long) server.pgbenchCount(transaction, 4, rows / rowsPerTransaction) * rowsPerTransaction;

        System.gc();
        HeapSampler heap = new HeapSampler();
        heap.start();
        consumer.arrivals().mark();
        long start = System.nanoTime();
        consumer.start();
        Consumers.awaitReceived(consumer, before + backlog, Duration.ofMinutes(20));
        heap.interrupt();
        Arrivals arrivals = consumer.arrivals();
        double startup = (arrivals.firstNanos() - start) / 1e9;
        double rate = (backlog - 1) / ((arrivals.lastNanos() - arrivals.firstNanos()) / 1e9);
        System.out.println(ChildJvm.RESULT + backlog + " " + startup + " " + rate + " " + heap.peakUsed.get() / 1048576.0
                + " " + heap.maxLive.get() / 1048576.0);
    }

    private static void largeTransactionChild(BenchServer server, ChangeConsumer consumer, int rows)
            throws Exception {
        long before = consumer.received();
        System.gc();
        HeapSampler heap = new HeapSampler();
        heap.start();
        consumer.arrivals().mark();
        long start = System.nanoTime();
        server.execute(WriteOverhead.rows(rows));
        long committed = System.nanoTime();
        Consumers.awaitReceived(consumer, before + rows, Duration.ofMinutes(30));
        heap.interrupt();
        Arrivals arrivals = consumer.arrivals();
        System.out.println(ChildJvm.RESULT + rows + " " + (committed - start) / 1e9 + " "
                + (arrivals.firstNanos() - committed) / 1e9 + " " + (arrivals.lastNanos() - committed) / 1e9 + " "
                + heap.peakUsed.get() / 1048576.0 + " " + heap.maxLive.get() / 1048576.0);
    }
}
