package io.pgflash.benchmarks;

import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;

/** The run's results as Markdown tables, charts and target lines (PASS/FAIL), in the order they were measured. */
final class Report {

    private final Charts charts;
    private final StringBuilder markdown = new StringBuilder();
    private final List<String> targets = new ArrayList<>();

    Report(Charts charts) {
        this.charts = charts;
    }

    void header(String server, LocalDate date, int seconds, int rounds, int backlog) {
        line("Run of %s on %s, %d cores; PostgreSQL: %s.", date, System.getProperty("os.name"),
                Runtime.getRuntime().availableProcessors(), server);
        line("Writers: pgbench, 4 connections. Measurements of %d s (latency and sustained delivery: at least 10 s),"
                + " write overhead in %d rounds, backlog of %,d rows.", seconds, rounds, backlog);
        line("");
    }

    void writeOverhead(WriteOverhead.Result result, int rounds, int seconds) throws IOException {
        line("## Write overhead");
        line("");
        line("Insert throughput with 4 pgbench writers, median of %d rounds of %d s, as a ratio to the table without a"
                + " trigger measured in the same run. pgflash variants run with their consumer reading (a no-op"
                + " listener).", rounds, seconds);
        line("");
        List<String> shapes = new ArrayList<>(result.tps().keySet());
        StringBuilder head = new StringBuilder("| variant |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (String shape : shapes) {
            head.append(' ').append(shape).append(" (tps) | ratio |");
            rule.append(" --- | --- |");
        }
        line(head.toString());
        line(rule.toString());
        List<String> variants = new ArrayList<>(result.tps().get(shapes.get(0)).keySet());
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (String variant : variants) {
            StringBuilder row = new StringBuilder("| " + variant + " |");
            for (String shape : shapes) {
                row.append(String.format(Locale.ROOT, " %.0f | %.2f |", result.tps().get(shape).get(variant),
                        result.ratio(shape, variant)));
                series.computeIfAbsent(shape, s -> new ArrayList<>()).add(result.ratio(shape, variant));
            }
            line(row.toString());
        }
        line("");
        charts.bars("write-overhead.png", "Insert throughput, ratio to no trigger (same run)", "ratio",
                variants.stream().map(Report::shortVariant).toList(), series);
        line("![Write overhead](images/bench/write-overhead.png)");
        line("");
        String single = shapes.get(0);
        double durable = result.ratio(single, WriteOverhead.variantName(Consumers.DURABLE));
        double classic = result.ratio(single, WriteOverhead.CLASSIC);
        double wal = result.ratio(single, WriteOverhead.variantName(Consumers.WAL));
        target("durable trigger mode >= 0.85 of no trigger (single-row inserts)", durable >= 0.85,
                "%.2f", durable);
        target("durable trigger mode >= 1.5 x the classic per-row NOTIFY trigger", durable / classic >= 1.5,
                "%.2f x", durable / classic);
        target("WAL driver write overhead within noise (>= 0.95)", wal >= 0.95, "%.2f", wal);
    }

    void sustained(Map<Consumers, Delivery.Sustained> results) throws IOException {
        line("## Sustained delivery");
        line("");
        line("pgbench inserts single-row transactions as fast as it can while the consumer reads; delivered = rows"
                + " written / time from the first write until the listener had the last one.");
        line("");
        line("| consumer | written per s | delivered per s |");
        line("| --- | --- | --- |");
        List<String> names = new ArrayList<>();
        List<Double> delivered = new ArrayList<>();
        results.forEach((kind, result) -> {
            line("| %s | %.0f | %.0f |", label(kind), result.writtenPerSecond(), result.deliveredPerSecond());
            names.add(label(kind));
            delivered.add(result.deliveredPerSecond());
        });
        line("");
        charts.bars("sustained.png", "Sustained delivery with writers running", "events per second", names,
                Map.of("delivered", delivered));
        line("![Sustained delivery](images/bench/sustained.png)");
        line("");
    }

    void latency(Map<Consumers, List<Delivery.Latency>> results) throws IOException {
        line("## Latency");
        line("");
        line("pgbench writes single-row transactions at a fixed rate (`-R`) for the measurement; latency runs from the"
                + " row's `clock_timestamp()` at insert to the listener.");
        line("");
        line("| consumer | target rate | achieved rate | p50 ms | p99 ms | max ms | samples |");
        line("| --- | --- | --- | --- | --- | --- | --- |");
        List<String> categories = new ArrayList<>();
        Map<String, List<Double>> series = new LinkedHashMap<>();
        results.forEach((kind, latencies) -> latencies.forEach(l -> {
            line("| %s | %d/s | %.0f/s | %.1f | %.1f | %.1f | %d |", label(kind), l.rate(), l.achievedRate(), l.p50(),
                    l.p99(), l.max(), l.samples());
            categories.add(label(kind) + " @" + l.rate() + "/s");
            series.computeIfAbsent("p50", s -> new ArrayList<>()).add(l.p50());
            series.computeIfAbsent("p99", s -> new ArrayList<>()).add(l.p99());
        }));
        line("");
        charts.bars("latency.png", "Commit-to-listener latency", "milliseconds", categories, series);
        line("![Latency](images/bench/latency.png)");
        line("");
        results.getOrDefault(Consumers.WAL, List.of()).stream().filter(l -> l.rate() == 5000).findFirst()
                .ifPresent(l -> target("WAL driver p99 latency < 50 ms at 5,000 events/s", l.p99() < 50,
                        "%.1f ms (achieved %.0f/s)", l.p99(), l.achievedRate()));
    }

    void drain(Map<Consumers, BacklogDrain.Result> results, int backlog) throws IOException {
        line("## Backlog drain and memory");
        line("");
        line("The consumer stops, %,d rows are committed (100-row statements from 4 pgbench clients), then it starts"
                + " and reads them all, in its own JVM with `%s`; the heap is sampled every 10 ms.", backlog,
                BacklogDrain.HEAP);
        line("");
        line("| consumer | events per s | seconds | peak heap used | finished |");
        line("| --- | --- | --- | --- | --- |");
        List<String> names = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        List<Double> heaps = new ArrayList<>();
        results.forEach((kind, r) -> {
            line("| %s | %.0f | %.1f | %.0f MB | %s |", label(kind), r.eventsPerSecond(), r.seconds(), r.peakHeapMb(),
                    r.finished() ? "yes" : "no: " + r.failure().lines().reduce((a, b) -> b).orElse(""));
            names.add(label(kind));
            rates.add(r.eventsPerSecond());
            heaps.add(r.peakHeapMb());
        });
        line("");
        charts.bars("drain.png", "Draining a backlog of " + String.format(Locale.ROOT, "%,d", backlog) + " rows",
                "events per second", names, Map.of("events per second", rates));
        charts.bars("drain-heap.png", "Peak heap while draining (" + BacklogDrain.HEAP + ")", "MB", names,
                Map.of("peak heap used", heaps));
        line("![Backlog drain](images/bench/drain.png)");
        line("![Peak heap while draining](images/bench/drain-heap.png)");
        line("");
        BacklogDrain.Result wal = results.get(Consumers.WAL);
        BacklogDrain.Result debezium = results.get(Consumers.DEBEZIUM);
        if (wal != null && debezium != null && debezium.eventsPerSecond() > 0) {
            double ratio = wal.eventsPerSecond() / debezium.eventsPerSecond();
            target("WAL driver backlog drain >= 2 x Debezium embedded", ratio >= 2, "%.2f x", ratio);
        }
        boolean allFinished = results.entrySet().stream().filter(e -> e.getKey() != Consumers.DEBEZIUM)
                .allMatch(e -> e.getValue().finished());
        target("pgflash drains " + String.format(Locale.ROOT, "%,d", backlog) + " events in a 256 MB heap",
                allFinished, "%s", allFinished ? "all finished" : "a drain failed");
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

    String markdown() {
        StringBuilder all = new StringBuilder(markdown);
        if (!targets.isEmpty()) {
            all.append("## Targets\n\n");
            targets.forEach(target -> all.append("- ").append(target).append('\n'));
        }
        return all.toString();
    }

    private void target(String name, boolean pass, String format, Object... values) {
        String line = (pass ? "PASS" : "FAIL") + " " + name + ": " + String.format(Locale.ROOT, format, values);
        targets.add(line);
        System.out.println(line);
    }

    private static String shortVariant(String variant) {
        return variant.replace("pgflash trigger driver, ", "pgflash ").replace(" (publication and slot)", "")
                .replace("pg_notify(row_to_json(NEW)) trigger", "NOTIFY trigger").replace(", consumer stopped",
                        " (consumer stopped)");
    }

    private static String label(Consumers kind) {
        return switch (kind) {
            case NOTIFY -> "pgflash trigger, notify";
            case DURABLE -> "pgflash trigger, durable";
            case WAL -> "pgflash WAL";
            case DEBEZIUM -> "Debezium embedded";
        };
    }

    private void line(String format, Object... values) {
        markdown.append(values.length == 0 ? format : String.format(Locale.ROOT, format, values)).append('\n');
    }
}
