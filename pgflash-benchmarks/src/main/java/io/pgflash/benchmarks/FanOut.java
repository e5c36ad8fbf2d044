package io.pgflash.benchmarks;

import io.pgflash.core.PgFlash;
import io.pgflash.core.Subscription;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fan-out: one subscription per connected client, each {@code author_id=eq.N}, on one table. A client JVM of its own
 * ({@value #HEAP}) adds the subscriptions to a started client (time per subscribe), subscribes and cancels more
 * (pairs per second), then one statement inserts rows each matching exactly one subscription, spread over all of them
 * (delivered per second, from the statement to the last event). Reported with the threads and heap it took.
 */
final class FanOut {

    static final String HEAP = "-Xmx512m";
    private static final int PAIRS = 10_000;
    /** Rounds of 1 and 100,000 subscriptions, side by side, whose median ratio is the delivery ratio. */
    static final int RATIO_ROUNDS = 5;

    record Result(int subscriptions, double subscribeMicros, double pairsPerSecond, double deliveredPerSecond,
            int peakThreads, double peakHeapMb, double liveHeapMb, String failure) {

        boolean finished() {
            return failure == null;
        }
    }

    private final BenchServer server;

    FanOut(BenchServer server) {
        this.server = server;
    }

    Result run(Consumers kind, int subscriptions, int rows) throws Exception {
        ChildJvm.Run child = ChildJvm.run(FanOut.class, HEAP, server, kind.name(), String.valueOf(subscriptions),
                String.valueOf(rows));
        if (child.failure() != null) {
            return new Result(subscriptions, 0, 0, 0, 0, 0, 0, child.failure());
        }
        double[] f = child.fields();
        return new Result(subscriptions, f[0], f[1], f[2], (int) f[3], f[4], f[5], null);
    }

    /** The child JVM: args are the consumer kind, the subscriptions and the rows; the server comes from bench.url. */
    public static void main(String[] args) throws Exception {
        Consumers kind = Consumers.valueOf(args[0]);
        int subscriptions = Integer.parseInt(args[1]);
        int rows = Integer.parseInt(args[2]);
        try (BenchServer server = BenchServer.start()) {
            server.recreateBenchTable(); // checks no slot is left over
            server.execute("DROP TABLE IF EXISTS fan CASCADE",
                    "CREATE TABLE fan (id int PRIMARY KEY, author_id int NOT NULL, title text)",
                    "ALTER TABLE fan REPLICA IDENTITY FULL");
            try (PgFlash flash = PgFlash.builder().jdbcUrl(server.url, server.user, server.password)
                    .driver(driver(kind)).build()) {
                measure(server, flash, subscriptions, rows);
            } finally {
                server.execute("DROP SCHEMA IF EXISTS bench_fan_durable CASCADE", "DROP TABLE IF EXISTS fan");
            }
        }
        System.exit(0);
    }

    private static ChangeDriver driver(Consumers kind) {
        String name = BenchServer.uniqueName("pgflash_fan");
        return switch (kind) {
            case NOTIFY -> NotifyDriver.builder().schema("bench_fan_notify").removeSchemaOnShutdown(true).build();
            case DURABLE -> DurableDriver.builder().schema("bench_fan_durable").group("fan").build();
            case WAL -> WalDriver.builder().slotName(name).publicationName(name).dropSlotOnShutdown(true).build();
            default -> throw new IllegalArgumentException("no fan-out run for " + kind);
        };
    }

    private static void measure(BenchServer server, PgFlash flash, int subscriptions, int rows) throws Exception {
        AtomicLong delivered = new AtomicLong();
        // the table is captured before the clients come, as in an application that already streams it
        flash.subscribe(SubscriptionSpec.table("fan").filter("author_id=eq.0").build(), event -> { });
        flash.start();
        System.gc();
        HeapSampler heap = new HeapSampler();
        heap.start();

        long start = System.nanoTime();
        for (int author = 1; author <= subscriptions; author++) {
            flash.subscribe(SubscriptionSpec.table("fan").filter("author_id=eq." + author).build(),
                    event -> delivered.incrementAndGet());
        }
        double subscribeMicros = (System.nanoTime() - start) / 1e3 / subscriptions;

        List<Subscription> passing = new ArrayList<>(PAIRS);
        start = System.nanoTime();
        for (int i = 1; i <= PAIRS; i++) {
            passing.add(flash.subscribe(SubscriptionSpec.table("fan").filter("author_id=eq." + -i).build(),
                    event -> { }));
        }
        passing.forEach(Subscription::cancel);
        double pairsPerSecond = PAIRS / ((System.nanoTime() - start) / 1e9);

        start = System.nanoTime();
        server.execute("INSERT INTO fan SELECT g, 1 + g % " + subscriptions + ", 'post ' || g"
                + " FROM generate_series(1, " + rows + ") g");
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (delivered.get() < rows) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("delivered " + delivered.get() + " of " + rows + " in 10 minutes");
            }
            Thread.sleep(1); // a benchmark polls its own counter
        }
        double deliveredPerSecond = rows / ((System.nanoTime() - start) / 1e9);
        heap.interrupt();
        System.out.println(ChildJvm.RESULT + subscribeMicros + " " + pairsPerSecond + " " + deliveredPerSecond + " "
                + ManagementFactory.getThreadMXBean().getPeakThreadCount() + " " + heap.peakUsed.get() / 1048576.0
                + " " + heap.maxLive.get() / 1048576.0);
    }
}
