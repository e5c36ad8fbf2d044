package io.pgflash.benchmarks;

import io.pgflash.core.PgFlash;
import io.pgflash.core.internal.dispatch.DeliveryPool;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;

/** The run's results as Markdown tables, charts and target lines (PASS/FAIL), in the order they were measured. */
final class Report {

    private static final String IMAGES = "images/bench/";

    private final Charts charts;
    private final StringBuilder markdown = new StringBuilder();
    private final List<String> targets = new ArrayList<>();
    /** The durable mode's ratio with its consumer running, from the write-overhead table, for the target line. */
    private double durableRunning = Double.NaN;

    Report(Charts charts) {
        this.charts = charts;
    }

    void header(String server, LocalDate date, int seconds, int rounds) {
        line("Run of %s on %s, %d cores; PostgreSQL: %s.", date, System.getProperty("os.name"),
                Runtime.getRuntime().availableProcessors(), server);
        line("Writers: pgbench, 4 connections. Write overhead: %d rounds of %d s after a warm-up round; latency and"
                + " sustained delivery: %d s per measurement.", rounds, seconds, Math.max(seconds, 10));
        line("");
    }

    void writeOverhead(WriteOverhead.Result result) throws IOException {
        line("## Write overhead");
        line("");
        line("Insert throughput with 4 pgbench writers; each variant's ratio is to the table without a trigger in the"
                + " same round; median and range over the rounds. pgflash variants run with their consumer reading (a"
                + " listener that only counts) unless marked stopped; the consumer's CPU is the median over the"
                + " rounds, in cores, of its JVM (decoding, dispatch, listener) and of its server sessions, both taken"
                + " from the writers on this machine.");
        line("");
        Map<String, List<Double>> series = new LinkedHashMap<>();
        List<String> variants = List.copyOf(result.ratios().values().iterator().next().keySet());
        for (String shape : result.ratios().keySet()) {
            line("**%s**", shape);
            line("");
            line("| variant | median tps | ratio to no trigger | range over rounds | consumer CPU: JVM + server |");
            line("| --- | --- | --- | --- | --- |");
            for (String variant : variants) {
                List<Double> ratios = result.ratios().get(shape).get(variant);
                line("| %s | %.0f | %.2f | %.2f to %.2f | %s |", variant,
                        WriteOverhead.median(result.tps().get(shape).get(variant)), WriteOverhead.median(ratios),
                        ratios.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                        ratios.stream().mapToDouble(Double::doubleValue).max().orElse(0),
                        cores(result.cpu().get(shape).get(variant)));
                series.computeIfAbsent(shape, s -> new ArrayList<>()).add(WriteOverhead.median(ratios));
            }
            line("");
        }
        chart("write-overhead.png", "Write overhead", charts -> charts.bars("write-overhead.png",
                "Insert throughput, ratio to no trigger (same round, median)", "ratio",
                variants.stream().map(Report::shortVariant).toList(), series));

        String durable = Consumers.DURABLE.variant();
        String wal = Consumers.WAL.variant();
        String single = WriteOverhead.SINGLE_ROW_SHAPE;
        durableRunning = result.medianRatio(single, durable);
        double versusClassic = durableRunning / result.medianRatio(single, WriteOverhead.CLASSIC_LISTENING);
        target("durable trigger mode >= 1.5 x the classic per-row NOTIFY trigger with a listener (" + single + ")",
                versusClassic >= 1.5, "%.2f x", versusClassic);
        for (String shape : result.ratios().keySet()) {
            double ratio = result.medianRatio(shape, wal);
            target("WAL driver write overhead within noise, >= 0.95 (" + shape + ", consumer running)", ratio >= 0.95,
                    "%.2f (consumer stopped: %.2f)", ratio, result.medianRatio(shape, wal + WriteOverhead.STOPPED));
        }
    }

    /** The median cores of a running consumer's JVM and server sessions, or nothing if none ran. */
    private static String cores(List<ConsumerCpu.Usage> usages) {
        if (usages.isEmpty()) {
            return "";
        }
        double jvm = WriteOverhead.median(usages.stream().map(ConsumerCpu.Usage::jvmCores).toList());
        double server = WriteOverhead.median(usages.stream().map(ConsumerCpu.Usage::serverCores).toList());
        return Double.isNaN(server) ? String.format(Locale.ROOT, "%.2f + n/a", jvm)
                : String.format(Locale.ROOT, "%.2f + %.2f", jvm, server);
    }

    void durableWritePath(WriteOverhead.Result result, int rounds, int seconds) {
        String shape = WriteOverhead.SINGLE_ROW_SHAPE;
        List<Double> ratios = result.ratios().get(shape).get(WriteOverhead.DURABLE_WRITE_PATH);
        double median = WriteOverhead.median(ratios);
        double mean = WriteOverhead.mean(ratios);
        double error = WriteOverhead.standardError(ratios);
        line("## Durable trigger: cost to writers");
        line("");
        line("Only the table without a trigger and the durable trigger with its consumer stopped, %d rounds of %d s"
                + " after a warm-up round, in alternating order: each round's two measurements run seconds apart, and"
                + " the many rounds narrow the noise of single runs.", rounds, seconds);
        line("");
        line("| %s | median tps | ratio to no trigger: median | mean | mean ± 2 standard errors |", shape);
        line("| --- | --- | --- | --- | --- |");
        line("| %s | %.0f | | | |", WriteOverhead.NONE,
                WriteOverhead.median(result.tps().get(shape).get(WriteOverhead.NONE)));
        line("| %s | %.0f | %.3f | %.3f | %.3f to %.3f |", WriteOverhead.DURABLE_WRITE_PATH,
                WriteOverhead.median(result.tps().get(shape).get(WriteOverhead.DURABLE_WRITE_PATH)), median, mean,
                mean - 2 * error, mean + 2 * error);
        line("");
        target("durable trigger mode >= 0.85 of no trigger (" + shape + ", the trigger's cost to writers)",
                median >= 0.85, "%.3f (mean %.3f ± %.3f; with the consumer running on the same cores: %s)", median,
                mean, 2 * error, Double.isNaN(durableRunning) ? "not measured"
                        : String.format(Locale.ROOT, "%.2f", durableRunning));
    }

    void sustained(Map<Consumers, Delivery.Sustained> results) throws IOException {
        line("## Sustained delivery");
        line("");
        line("pgbench inserts single-row transactions as fast as it can while the consumer reads (a listener that only"
                + " counts). Delivered = rows written / time from the first write until the listener had the last"
                + " one; on 2 cores the consumer's CPU also slows the writers, so this shows both.");
        line("");
        line("| consumer | written per s | delivered per s | last event after the writes ended |");
        line("| --- | --- | --- | --- |");
        List<String> names = new ArrayList<>();
        List<Double> delivered = new ArrayList<>();
        results.forEach((kind, result) -> {
            line("| %s | %.0f | %.0f | %.0f ms |", kind.label(), result.writtenPerSecond(),
                    result.deliveredPerSecond(), result.catchUpMillis());
            names.add(kind.label());
            delivered.add(result.deliveredPerSecond());
        });
        line("");
        Delivery.Sustained wal = results.get(Consumers.WAL);
        Delivery.Sustained debezium = results.get(Consumers.DEBEZIUM);
        if (wal != null && debezium != null) {
            line("pgflash WAL / Debezium embedded, delivered per second: %.2f.",
                    wal.deliveredPerSecond() / debezium.deliveredPerSecond());
            line("");
        }
        chart("sustained.png", "Sustained delivery", charts -> charts.bars("sustained.png",
                "Sustained delivery with writers running", "events per second", names,
                Map.of("delivered", delivered)));
    }

    void idle(Map<Consumers, ConsumerCpu.Usage> results) {
        line("## Idle consumers");
        line("");
        line("A started consumer while nothing is written: the CPU its JVM (this whole benchmark process, with what"
                + " earlier scenarios left running) and its server sessions take, in cores, and of the JVM's the part"
                + " of pgflash's own threads.");
        line("");
        line("| consumer | JVM cores | of which pgflash threads | server session cores |");
        line("| --- | --- | --- | --- |");
        results.forEach((kind, usage) -> line("| %s | %.4f | %.4f | %.4f |", kind.label(), usage.jvmCores(),
                usage.pgflashThreadCores(), usage.serverCores()));
        line("");
        ConsumerCpu.Usage wal = results.get(Consumers.WAL);
        if (wal != null) {
            target("WAL driver idle consumer < 0.01 core", wal.jvmCores() < 0.01, "%.4f cores", wal.jvmCores());
        }
    }

    void latency(Map<Consumers, List<Delivery.Latency>> results) throws IOException {
        line("## Latency");
        line("");
        line("pgbench writes single-row transactions at a fixed rate (`-R`); latency runs from the row's"
                + " `clock_timestamp()` at insert (so it includes the commit) to the listener. The writers' own p99"
                + " is their transactions' latency as pgbench logs it (without the wait for their turn): a change"
                + " cannot be delivered before its commit.");
        line("");
        line("| consumer | target rate | achieved rate | p50 ms | p99 ms | max ms | samples | writers' own p99 ms |");
        line("| --- | --- | --- | --- | --- | --- | --- | --- |");
        List<String> categories = new ArrayList<>();
        Map<String, List<Double>> series = new LinkedHashMap<>();
        results.forEach((kind, latencies) -> latencies.forEach(l -> {
            line("| %s | %d/s | %.0f/s%s | %.1f | %.1f | %.1f | %d | %.1f |", kind.label(), l.rate(),
                    l.achievedRate(), l.rateReached() ? "" : " (not reached)", l.p50(), l.p99(), l.max(), l.samples(),
                    l.writersP99());
            categories.add(kind.label() + " @" + l.rate() + "/s");
            series.computeIfAbsent("p50", s -> new ArrayList<>()).add(l.p50());
            series.computeIfAbsent("p99", s -> new ArrayList<>()).add(l.p99());
        }));
        line("");
        chart("latency.png", "Latency", charts -> charts.bars("latency.png", "Insert-to-listener latency",
                "milliseconds", categories, series));
        latencyTarget(results, Consumers.WAL, 5);
        latencyTarget(results, Consumers.DURABLE, 20);
    }

    private void latencyTarget(Map<Consumers, List<Delivery.Latency>> results, Consumers kind, double p99Millis) {
        results.getOrDefault(kind, List.of()).stream().filter(l -> l.rate() == 5000).findFirst()
                .ifPresent(l -> target(String.format(Locale.ROOT, "%s p99 latency < %.0f ms at 5,000 events/s",
                        kind.label(), p99Millis), l.p99() < p99Millis && l.rateReached(),
                        "%.1f ms at %.0f/s%s (the writers' own p99: %.1f ms)", l.p99(), l.achievedRate(),
                        l.rateReached() ? "" : " (rate not reached)", l.writersP99()));
    }

    void largeTransaction(Map<Consumers, BacklogDrain.LargeTransaction> results, int rows) {
        line("## One large transaction");
        line("");
        line("One statement inserts %,d rows in one transaction while the consumer runs,"
                + " in its own JVM with `%s`. Times run from the commit (the writer's statement returning). Without"
                + " streaming the server decodes the transaction only after its commit; with streaming (protocol 2)"
                + " it sends the changes while the transaction runs and pgflash keeps them until the commit, past 16"
                + " MB in a local file.", rows, BacklogDrain.HEAP);
        line("");
        line("| consumer | writing | first event after the commit | last event after the commit | peak heap used"
                + " | heap after GC, max | finished |");
        line("| --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((kind, r) -> line("| %s | %.1f s | %.1f s | %.1f s | %.0f MB | %.0f MB | %s |", kind.label(),
                r.writeSeconds(), r.firstSeconds(), r.lastSeconds(), r.peakHeapMb(), r.liveHeapMb(),
                r.finished() ? "yes" : "no: " + r.failure()));
        line("");
        boolean fits = results.values().stream().allMatch(BacklogDrain.LargeTransaction::finished);
        target(String.format(Locale.ROOT, "pgflash WAL delivers one %,d-row transaction in a 256 MB heap, with and"
                + " without streaming", rows), fits, "%s", fits ? "both finished" : "a run failed");
    }

    /**
     * @param rounds per consumer, runs of 1 and of the most subscriptions side by side (the first is of
     *        {@code results}), for the delivery ratio
     */
    void fanOut(Map<Consumers, List<FanOut.Result>> results, Map<Consumers, List<FanOut.Result[]>> rounds,
            int rows) {
        line("## Fan-out: one subscription per client");
        line("");
        line("A started client (in its own JVM with `%s`) takes N subscriptions `author_id=eq.1` to `eq.N` on one"
                + " table, then 10,000 more that it cancels at once; one statement inserts %,d rows, each matching"
                + " exactly one subscription, spread over all of them. Delivered per second runs from the statement"
                + " to the last event; threads are the JVM's peak.", FanOut.HEAP, rows);
        line("");
        line("| consumer | subscriptions | per subscribe | subscribe + cancel pairs per s | delivered per s | peak"
                + " threads | peak heap used | heap after GC, max | finished |");
        line("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((kind, runs) -> runs.forEach(r -> line("| %s | %,d | %.1f µs | %,.0f | %,.0f | %d | %.0f MB"
                + " | %.0f MB | %s |", kind.label(), r.subscriptions(), r.subscribeMicros(), r.pairsPerSecond(),
                r.deliveredPerSecond(), r.peakThreads(), r.peakHeapMb(), r.liveHeapMb(),
                r.finished() ? "yes" : "no: " + r.failure())));
        line("");
        results.forEach((kind, runs) -> {
            FanOut.Result one = runs.get(0);
            FanOut.Result most = runs.get(runs.size() - 1);
            if (!one.finished() || !most.finished()) {
                target(kind.label() + " fan-out runs finished", false, "a run failed");
                return;
            }
            double addSeconds = most.subscribeMicros() * most.subscriptions() / 1e6;
            target(String.format(Locale.ROOT, "%s adds %,d subscriptions in under 10 s", kind.label(),
                    most.subscriptions()), addSeconds < 10, "%.2f s", addSeconds);
            List<Double> ratios = new ArrayList<>();
            for (FanOut.Result[] round : rounds.get(kind)) {
                if (round[0].finished() && round[1].finished()) {
                    ratios.add(round[1].deliveredPerSecond() / round[0].deliveredPerSecond());
                }
            }
            Collections.sort(ratios);
            double ratio = ratios.isEmpty() ? 0 : ratios.get(ratios.size() / 2);
            target(String.format(Locale.ROOT, "%s delivers at %,d subscriptions >= 0.8 x the rate at 1 (median of %d"
                    + " rounds side by side)", kind.label(), most.subscriptions(), FanOut.RATIO_ROUNDS),
                    ratio >= 0.8, "%.2f (rounds: %s)", ratio, ratios.stream()
                            .map(r -> String.format(Locale.ROOT, "%.2f", r)).toList());
            int extraThreads = most.peakThreads() - one.peakThreads();
            target(String.format(Locale.ROOT, "%s threads at %,d subscriptions within the delivery pool (%d) of"
                    + " those at 1", kind.label(), most.subscriptions(), DeliveryPool.DEFAULT_THREADS),
                    extraThreads <= DeliveryPool.DEFAULT_THREADS, "%d more", extraThreads);
        });
    }

    /**
     * @param results per backlog shape (a description), per consumer
     * @param serverRates per backlog shape, pg_recvlogical reading the same backlog: the server's decoding rate
     * @param binaryRates the same with pgoutput's binary values
     */
    void drain(Map<String, Map<Consumers, BacklogDrain.Result>> results, Map<String, BacklogDrain.Result> serverRates,
            Map<String, BacklogDrain.Result> binaryRates) throws IOException {
        line("## Backlog drain and memory");
        line("");
        line("The consumer stops, a backlog is committed by 4 pgbench clients, then it starts and reads it all, in its"
                + " own JVM with `%s`. Events per second run from its first to its last event; start-up (connecting,"
                + " and for Debezium the engine and connector) is apart. Heap: the most used (garbage included,"
                + " sampled every 10 ms) and the most a garbage collection left. The notify mode keeps no backlog"
                + " and is not in this test. `pg_recvlogical` reads the same backlog from a pgoutput slot of the same"
                + " publication to a pipe that only counts it (first byte to end): the server's own decoding rate,"
                + " which no consumer can pass.", BacklogDrain.HEAP);
        line("");
        line("| backlog | consumer | events per s | start-up | peak heap used | heap after GC, max | finished |");
        line("| --- | --- | --- | --- | --- | --- | --- |");
        List<String> names = new ArrayList<>();
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        Map<String, List<Double>> heaps = new LinkedHashMap<>();
        results.forEach((shape, byConsumer) -> byConsumer.forEach((kind, r) -> {
            line("| %s | %s | %.0f | %.1f s | %.0f MB | %.0f MB | %s |", shape, kind.label(), r.eventsPerSecond(),
                    r.startupSeconds(), r.peakHeapMb(), r.liveHeapMb(), r.finished() ? "yes" : "no: " + r.failure());
            if (!names.contains(kind.label())) {
                names.add(kind.label());
            }
            rates.computeIfAbsent(shape, s -> new ArrayList<>()).add(r.eventsPerSecond());
            heaps.computeIfAbsent(shape, s -> new ArrayList<>()).add(r.peakHeapMb());
        }));
        serverRates.forEach((shape, r) -> line("| %s | pg_recvlogical (the server's decoding) | %.0f | %.1f s | | | %s |",
                shape, r.eventsPerSecond(), r.startupSeconds(), r.finished() ? "yes" : "no: " + r.failure()));
        binaryRates.forEach((shape, r) -> line("| %s | pg_recvlogical, binary values | %.0f | %.1f s | | | %s |",
                shape, r.eventsPerSecond(), r.startupSeconds(), r.finished() ? "yes" : "no: " + r.failure()));
        line("");
        // the WAL driver reads text values; binary ones would be worth a decoder if the server sent them faster
        binaryRates.forEach((shape, binary) -> {
            BacklogDrain.Result text = serverRates.get(shape);
            if (text != null && text.finished() && binary.finished()) {
                line("pgoutput's binary values against text, the server's decoding rate (%s): %.2f x", shape,
                        binary.eventsPerSecond() / text.eventsPerSecond());
                line("");
            }
        });
        chart("drain.png", "Backlog drain", charts -> charts.bars("drain.png", "Draining a backlog",
                "events per second", names, rates));
        chart("drain-heap.png", "Peak heap while draining", charts -> charts.bars("drain-heap.png",
                "Peak heap used while draining (" + BacklogDrain.HEAP + ")", "MB", names, heaps));
        results.forEach((shape, byConsumer) -> {
            BacklogDrain.Result wal = byConsumer.get(Consumers.WAL);
            BacklogDrain.Result debezium = byConsumer.get(Consumers.DEBEZIUM);
            BacklogDrain.Result decoding = serverRates.get(shape);
            if (wal != null && decoding != null && wal.finished() && decoding.finished()) {
                double ratio = wal.eventsPerSecond() / decoding.eventsPerSecond();
                target("WAL driver backlog drain >= 0.9 x pg_recvlogical (" + shape + ")", ratio >= 0.9, "%.2f x",
                        ratio);
            }
            if (wal == null || debezium == null) {
                return; // not both selected (bench.consumers)
            }
            if (!wal.finished() || !debezium.finished()) {
                target("WAL driver backlog drain >= 2 x Debezium embedded (" + shape + ")", false, "%s",
                        "not measured: a drain failed");
            } else {
                double ratio = wal.eventsPerSecond() / debezium.eventsPerSecond();
                target("WAL driver backlog drain >= 2 x Debezium embedded (" + shape + ")", ratio >= 2, "%.2f x",
                        ratio);
            }
            boolean fits = byConsumer.entrySet().stream().filter(e -> e.getKey() != Consumers.DEBEZIUM)
                    .allMatch(e -> e.getValue().finished());
            target("pgflash drains " + shape + " in a 256 MB heap", fits, "%s",
                    fits ? "all finished" : "a drain failed");
        });
    }

    void jmh(List<RunResult> results) {
        line("## Micro-benchmarks (JMH)");
        line("");
        line("One fork, 3 warm-up and 5 measured iterations of 2 s; a typical 8-column row.");
        line("");
        line("| benchmark | score | error | unit |");
        line("| --- | --- | --- | --- |");
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            line("| %s | %.0f | ± %.0f | %s |", name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
                    result.getPrimaryResult().getScore(), result.getPrimaryResult().getScoreError(),
                    result.getPrimaryResult().getScoreUnit());
        }
        line("");
    }

    /** A scenario that failed: the run goes on, and the report says so. */
    void failed(String scenario, Exception error) {
        line("## %s", scenario);
        line("");
        line("**Failed**: %s", String.valueOf(error));
        line("");
        target(scenario + " ran", false, "%s", String.valueOf(error));
    }

    String markdown() {
        StringBuilder all = new StringBuilder(markdown);
        if (!targets.isEmpty()) {
            all.append("## Targets\n\n");
            targets.forEach(target -> all.append("- ").append(target).append('\n'));
        }
        return all.toString();
    }

    @FunctionalInterface
    private interface ChartWriter {
        void write(Charts charts) throws IOException;
    }

    private void chart(String file, String alt, ChartWriter writer) throws IOException {
        writer.write(charts);
        line("![%s](%s%s)", alt, IMAGES, file);
        line("");
    }

    /** The snapshot scenario's row of the WAL driver read while a writer updates the table. */
    static final String SNAPSHOT_WITH_WRITER = "pgflash WAL, a writer updating the table";

    void kafka(Map<Consumers, KafkaPublish.Result> results, int rows, int rounds) {
        line("## Kafka publishing: a backlog into a broker");
        line("");
        line("A backlog of %,d rows (100-row transactions) committed while the publisher was stopped, then published"
                + " to a topic of %d partitions on an embedded Kafka broker (KRaft, in the suite's JVM): pgflash's Kafka"
                + " bridge, and Debezium embedded whose handler sends each record through a Kafka producer and marks it"
                + " processed once acknowledged (JSON without schemas). Both producers with the bridge's settings"
                + " (`acks=all`, idempotent, 256 KB batches, Kafka's other defaults), flushed after each batch; each"
                + " publisher in a JVM of its own with `%s`, warmed up by publishing a tenth of the backlog first, then"
                + " %d backlogs in turn; the median of their rates. Records per second from the first to the last"
                + " record the broker shows at the end of the topic.",
                rows, KafkaPublish.PARTITIONS, KafkaPublish.HEAP, rounds);
        line("");
        line("| publisher | records per backlog | records per s (median) | each backlog | start-up | peak heap used"
                + " | finished |");
        line("| --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((kind, r) -> line("| %s | %,d | %,.0f | %s | %.1f s | %.0f MB | %s |", kind.label(),
                r.records(), r.recordsPerSecond(), r.rates().stream().map(rate -> String.format("%,.0f", rate))
                        .collect(Collectors.joining(", ")),
                r.startupSeconds(), r.peakHeapMb(), r.finished() ? "yes" : "no: " + r.failure()));
        line("");
        KafkaPublish.Result debezium = results.get(Consumers.DEBEZIUM);
        results.forEach((kind, r) -> {
            if (!r.finished()) {
                target(kind.label() + " Kafka publishing finished", false, "%s", r.failure());
            } else if (kind != Consumers.DEBEZIUM && debezium != null && debezium.finished()) {
                target(kind.label() + " publishes to Kafka >= 2 x Debezium embedded with a producer",
                        r.recordsPerSecond() / debezium.recordsPerSecond() >= 2, "%.2f",
                        r.recordsPerSecond() / debezium.recordsPerSecond());
            }
        });
    }

    void snapshot(Map<String, SnapshotRead.Result> results, List<Double> copyRuns, int rows) {
        List<Double> sorted = new ArrayList<>(copyRuns);
        Collections.sort(sorted);
        double copy = sorted.get(sorted.size() / 2);
        line("## Snapshot: a table read while the stream goes on");
        line("");
        line("One subscription with an initial snapshot of a %,d-row table (int key, text, int, timestamptz), in a"
                + " client JVM of its own with `%s`, chunks of %,d rows; rows per second from the client's start to the"
                + " snapshot's COMPLETED notice (Debezium embedded, `snapshot.mode=initial`: to its last snapshot"
                + " record), then in the same client the median of %d snapshots asked for on demand, from the call to"
                + " its completion (a running application: its code compiled), beside `COPY ... TO STDOUT` of the same"
                + " table into a stream that only counts (median of %d runs, one before and one after each client: %s"
                + " rows/s). The WAL driver's second row reads while a writer updates random rows of the table, a"
                + " transaction each. The floor rows read the same chunks in a JVM of their own and do nothing with the"
                + " rows: where any client just started that decodes them begins. The slot's WAL at the end: past its"
                + " confirmed position"
                + " (confirmed every second as the listener handles events), and from its restart position (which"
                + " the server moves at its running-transactions records, every 15 s while it is busy: a snapshot"
                + " shorter than that keeps what was written meanwhile).", rows, SnapshotRead.HEAP,
                PgFlash.DEFAULT_SNAPSHOT_CHUNK_SIZE, SnapshotRead.ON_DEMAND_RUNS, sorted.size(),
                sorted.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r)).toList());
        line("");
        line("| consumer | rows per s | ratio to COPY | on demand, rows per s | ratio to COPY | peak heap used | WAL"
                + " written meanwhile | slot: WAL past its confirmed position | slot: WAL from its restart position |"
                + " finished |");
        line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((label, r) -> line("| %s | %,.0f | %.2f | %s | %s | %.0f MB | %s | %s | %s | %s |", label,
                r.rowsPerSecond(), r.rowsPerSecond() / copy, r.onDemandRowsPerSecond() < 0 ? "" : String.format(
                        Locale.ROOT, "%,.0f", r.onDemandRowsPerSecond()), r.onDemandRowsPerSecond() < 0 ? ""
                        : String.format(Locale.ROOT, "%.2f", r.onDemandRowsPerSecond() / copy), r.peakHeapMb(),
                megabytes(r.writtenWalMb()),
                megabytes(r.unconfirmedWalMb()), megabytes(r.retainedWalMb()),
                r.finished() ? "yes" : "no: " + r.failure()));
        line("");
        SnapshotRead.Result debezium = results.get(Consumers.DEBEZIUM.label());
        results.forEach((label, r) -> {
            if (!r.finished()) {
                target(label + " snapshot finished", false, "%s", r.failure());
                return;
            }
            if (label.equals(Consumers.DEBEZIUM.label()) || label.startsWith("floor:")) {
                return;
            }
            target(label + " initial snapshot, from a new JVM's start, reads >= 0.5 x COPY TO STDOUT",
                    r.rowsPerSecond() / copy >= 0.5, "%.2f", r.rowsPerSecond() / copy);
            if (r.onDemandRowsPerSecond() >= 0) {
                target(label + " snapshot on demand in the running client reads >= 0.5 x COPY TO STDOUT",
                        r.onDemandRowsPerSecond() / copy >= 0.5, "%.2f", r.onDemandRowsPerSecond() / copy);
            }
            if (debezium != null && debezium.finished()) {
                target(label + " snapshot reads >= 2 x Debezium embedded (initial)",
                        r.rowsPerSecond() / debezium.rowsPerSecond() >= 2, "%.2f",
                        r.rowsPerSecond() / debezium.rowsPerSecond());
            }
            target(label + " snapshot of " + String.format(Locale.ROOT, "%,d", rows) + " rows within "
                    + SnapshotRead.HEAP, r.peakHeapMb() <= 256, "peak %.0f MB", r.peakHeapMb());
        });
        line("");
    }

    private static String megabytes(double mb) {
        return mb < 0 ? "" : String.format(Locale.ROOT, "%.1f MB", mb);
    }

    private void target(String name, boolean pass, String format, Object... values) {
        String line = (pass ? "PASS" : "FAIL") + " " + name + ": " + String.format(Locale.ROOT, format, values);
        targets.add(line);
        System.out.println(line);
    }

    private static String shortVariant(String variant) {
        return variant.replace("pgflash trigger driver, ", "pgflash ").replace(" driver", "")
                .replace("per-row pg_notify(row_to_json(NEW)) trigger, ", "NOTIFY trigger, ")
                .replace(", consumer stopped", " (stopped)").replace("nobody listening", "no listener")
                .replace("a session listening", "listener");
    }

    private void line(String format, Object... values) {
        markdown.append(values.length == 0 ? format : String.format(Locale.ROOT, format, values)).append('\n');
    }
}
