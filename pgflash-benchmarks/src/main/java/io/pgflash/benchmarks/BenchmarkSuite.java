package io.pgflash.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Every benchmark in one run, on one PostgreSQL: write overhead, the durable trigger's write path, sustained
 * delivery, latency at fixed rates, backlog drain with memory (beside Debezium's embedded engine), one large
 * transaction, and JMH
 * micro-benchmarks of decoding. Writes
 * {@code results.md} and its charts ({@code images/bench/*.png}) to {@code bench.out} (default
 * {@code target/benchmarks}) and prints the targets as PASS/FAIL lines. A scenario that fails is reported as failed;
 * the others still run.
 * <p>
 * Settings (system properties): {@code bench.only} (comma list of write, write-path, sustained, latency, drain,
 * large, fanout, snapshot, kafka, jmh; all by default), {@code bench.consumers} (comma list of NOTIFY, DURABLE, WAL, DEBEZIUM for sustained delivery
 * and drains; all by default), {@code bench.seconds} (5), {@code bench.rounds} (5), {@code bench.target.rounds} (20,
 * for the durable trigger's write path), {@code bench.backlog} (1000000 rows in 100-row transactions),
 * {@code bench.backlog.single} (200000 single-row transactions), {@code bench.large.rows} (3000000 rows in the one
 * transaction of the large-transaction scenario, read by the WAL driver with and without streaming),
 * {@code bench.fanout.rows} (300000 rows spread over 1 to 100,000 subscriptions), {@code bench.snapshot.rows}
 * (1000000 rows read by an initial snapshot, beside {@code COPY TO STDOUT}), {@code bench.kafka.rows} (1000000 rows
 * of backlog published to an embedded Kafka broker by pgflash's bridge and by Debezium), {@code bench.kafka.rounds}
 * (3 backlogs per publisher, the median reported), {@code bench.url} with
 * {@code bench.user} and
 * {@code bench.password} (an embedded PostgreSQL when empty).
 */
public final class BenchmarkSuite {

    private BenchmarkSuite() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Set<String> only = Arrays.stream(System.getProperty("bench.only", "all").split(",")).map(String::trim)
                .collect(Collectors.toSet());
        int seconds = Integer.getInteger("bench.seconds", 5);
        int rounds = Integer.getInteger("bench.rounds", 5);
        int targetRounds = Integer.getInteger("bench.target.rounds", 20);
        int backlog = Integer.getInteger("bench.backlog", 1_000_000);
        int singleBacklog = Integer.getInteger("bench.backlog.single", 200_000);
        int largeRows = Integer.getInteger("bench.large.rows", 3_000_000);
        int fanOutRows = Integer.getInteger("bench.fanout.rows", 300_000);
        int snapshotRows = Integer.getInteger("bench.snapshot.rows", 1_000_000);
        int kafkaRows = Integer.getInteger("bench.kafka.rows", 1_000_000);
        int kafkaRounds = Integer.getInteger("bench.kafka.rounds", 3);
        Path out = Path.of(System.getProperty("bench.out", "target/benchmarks"));
        Files.createDirectories(out);
        if (System.getProperty("bench.url", "").isBlank()) {
            System.clearProperty("bench.url");
        }
        BenchServer.checkPgbench();
        Report report = new Report(new Charts(out.resolve("images/bench")));
        try (BenchServer server = BenchServer.start()) {
            report.header(server.describe(), LocalDate.now(), seconds, rounds);
            Delivery delivery = new Delivery(server, Math.max(seconds, 10));
            if (selected(only, "write")) {
                run(report, "Write overhead", () -> report.writeOverhead(
                        WriteOverhead.allVariants(server, seconds, rounds).run()));
            }
            if (selected(only, "write-path")) {
                run(report, "Durable trigger write path", () -> report.durableWritePath(
                        WriteOverhead.durableWritePath(server, seconds, targetRounds).run(), targetRounds, seconds));
            }
            if (selected(only, "sustained")) {
                List<Consumers> kinds = new ArrayList<>(Consumers.PGFLASH);
                kinds.add(Consumers.DEBEZIUM);
                kinds.removeIf(kind -> !consumerSelected(kind));
                run(report, "Sustained delivery", () -> report.sustained(delivery.sustained(kinds)));
            }
            if (selected(only, "latency")) {
                run(report, "Idle consumers", () -> report.idle(delivery.idle(Consumers.PGFLASH)));
                // 20/s: a quiet system, where an idle consumer is woken; 1000 and 5000/s: busy ones
                run(report, "Latency", () -> report.latency(delivery.latency(Consumers.PGFLASH,
                        List.of(20, 1000, 5000))));
            }
            if (selected(only, "drain")) {
                run(report, "Backlog drain", () -> {
                    BacklogDrain drain = new BacklogDrain(server);
                    Map<String, Map<Consumers, BacklogDrain.Result>> results = new LinkedHashMap<>();
                    Map<String, BacklogDrain.Result> serverRates = new LinkedHashMap<>();
                    Map<String, BacklogDrain.Result> binaryRates = new LinkedHashMap<>();
                    String large = String.format(Locale.ROOT, "%,d rows in 100-row transactions", backlog);
                    String single = String.format(Locale.ROOT, "%,d single-row transactions", singleBacklog);
                    results.put(large, drainAll(drain, 100, backlog));
                    results.put(single, drainAll(drain, 1, singleBacklog));
                    if (consumerSelected(Consumers.WAL)) { // the WAL driver's ceiling
                        serverRates.put(large, drain.recvlogical(100, backlog, false));
                        serverRates.put(single, drain.recvlogical(1, singleBacklog, false));
                        // whether pgoutput's binary values would let the server decode faster
                        binaryRates.put(large, drain.recvlogical(100, backlog, true));
                        binaryRates.put(single, drain.recvlogical(1, singleBacklog, true));
                    }
                    report.drain(results, serverRates, binaryRates);
                });
            }
            if (selected(only, "large") && consumerSelected(Consumers.WAL)) {
                run(report, "Large transaction", () -> {
                    BacklogDrain drain = new BacklogDrain(server);
                    Map<Consumers, BacklogDrain.LargeTransaction> results = new LinkedHashMap<>();
                    for (Consumers kind : List.of(Consumers.WAL, Consumers.WAL_STREAMING)) {
                        results.put(kind, drain.largeTransaction(kind, largeRows));
                    }
                    report.largeTransaction(results, largeRows);
                });
            }
            if (selected(only, "fanout")) {
                run(report, "Fan-out", () -> {
                    FanOut fanOut = new FanOut(server);
                    Map<Consumers, List<FanOut.Result>> results = new LinkedHashMap<>();
                    Map<Consumers, List<FanOut.Result[]>> ratioRounds = new LinkedHashMap<>();
                    for (Consumers kind : Consumers.PGFLASH) {
                        if (consumerSelected(kind)) {
                            List<FanOut.Result> runs = new ArrayList<>();
                            for (int subscriptions : List.of(1, 1_000, 10_000, 100_000)) {
                                runs.add(fanOut.run(kind, subscriptions, fanOutRows));
                            }
                            results.put(kind, runs);
                            // the delivery ratio from rounds of 1 and 100,000 side by side: one pair varies by 20%
                            List<FanOut.Result[]> pairs = new ArrayList<>();
                            pairs.add(new FanOut.Result[] {runs.get(0), runs.get(runs.size() - 1)});
                            for (int round = 1; round < FanOut.RATIO_ROUNDS; round++) {
                                pairs.add(new FanOut.Result[] {fanOut.run(kind, 1, fanOutRows),
                                        fanOut.run(kind, 100_000, fanOutRows)});
                            }
                            ratioRounds.put(kind, pairs);
                        }
                    }
                    report.fanOut(results, ratioRounds, fanOutRows);
                });
            }
            if (selected(only, "snapshot")) {
                run(report, "Snapshot", () -> {
                    SnapshotRead snapshot = new SnapshotRead(server);
                    snapshot.createTable(snapshotRows);
                    try {
                        List<Double> copy = new ArrayList<>();
                        Map<String, SnapshotRead.Result> results = new LinkedHashMap<>();
                        copy.add(snapshot.copyRowsPerSecond());
                        for (Consumers kind : List.of(Consumers.NOTIFY, Consumers.DURABLE, Consumers.WAL,
                                Consumers.DEBEZIUM)) {
                            if (consumerSelected(kind)) {
                                results.put(kind.label(), snapshot.run(kind, false));
                                copy.add(snapshot.copyRowsPerSecond()); // alternating, as the machine drifts
                            }
                        }
                        if (consumerSelected(Consumers.WAL)) {
                            results.put(Report.SNAPSHOT_WITH_WRITER, snapshot.run(Consumers.WAL, true));
                        }
                        for (SnapshotRead.Floor floor : SnapshotRead.Floor.values()) {
                            results.put(floor.label, snapshot.run(floor));
                            copy.add(snapshot.copyRowsPerSecond());
                        }
                        report.snapshot(results, copy, snapshotRows);
                    } finally {
                        snapshot.dropTable();
                    }
                });
            }
            if (selected(only, "kafka")) {
                run(report, "Kafka publishing", () -> {
                    KafkaPublish kafka = new KafkaPublish(server);
                    try {
                        Map<Consumers, KafkaPublish.Result> results = new LinkedHashMap<>();
                        for (Consumers kind : List.of(Consumers.WAL, Consumers.DURABLE, Consumers.DEBEZIUM)) {
                            if (consumerSelected(kind)) {
                                results.put(kind, kafka.run(kind, kafkaRows, kafkaRounds));
                            }
                        }
                        report.kafka(results, kafkaRows, kafkaRounds);
                    } finally {
                        kafka.close();
                    }
                });
            }
        } finally {
            if (selected(only, "jmh")) {
                run(report, "Micro-benchmarks", () -> report.jmh(runJmh()));
            }
            Files.writeString(out.resolve("results.md"), report.markdown());
            System.out.println();
            System.out.println(report.markdown());
            System.out.println("Written to " + out.toAbsolutePath());
        }
        System.exit(0); // Debezium's and pgjdbc's leftover threads must not keep the run alive
    }

    @FunctionalInterface
    private interface Scenario {
        void run() throws Exception;
    }

    private static void run(Report report, String name, Scenario scenario) {
        try {
            scenario.run();
        } catch (Exception e) {
            e.printStackTrace();
            report.failed(name, e);
        }
    }

    private static Map<Consumers, BacklogDrain.Result> drainAll(BacklogDrain drain, int rowsPerTransaction, int rows)
            throws Exception {
        Map<Consumers, BacklogDrain.Result> results = new LinkedHashMap<>();
        for (Consumers kind : List.of(Consumers.WAL, Consumers.DURABLE, Consumers.DEBEZIUM)) {
            if (consumerSelected(kind)) {
                results.put(kind, drain.run(kind, rowsPerTransaction, rows));
            }
        }
        return results;
    }

    /** {@code bench.consumers}: a comma list of NOTIFY, DURABLE, WAL, DEBEZIUM (all by default). */
    private static boolean consumerSelected(Consumers kind) {
        String consumers = System.getProperty("bench.consumers", "all");
        return consumers.equals("all") || Arrays.asList(consumers.split(",")).contains(kind.name());
    }

    private static boolean selected(Set<String> only, String name) {
        return only.contains("all") || only.contains(name);
    }

    private static List<RunResult> runJmh() throws Exception {
        return new ArrayList<>(new Runner(new OptionsBuilder()
                .include("io\\.pgflash\\..*Benchmark\\..*")
                .forks(1)
                .warmupIterations(3).warmupTime(TimeValue.seconds(2))
                .measurementIterations(5).measurementTime(TimeValue.seconds(2))
                .build()).run());
    }
}
