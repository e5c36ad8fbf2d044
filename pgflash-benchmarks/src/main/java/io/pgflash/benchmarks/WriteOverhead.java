package io.pgflash.benchmarks;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;

/**
 * Write overhead: insert throughput with 4 pgbench writers on a table with no trigger; the classic per-row
 * {@code pg_notify(row_to_json(NEW))} trigger, with nobody listening and with a session that listens; and each pgflash
 * driver with its consumer running (a listener that only counts), the durable and WAL drivers also with the consumer
 * stopped (the write path alone). For single-row transactions and 10-row statements. While a consumer runs, the CPU
 * it takes (its JVM and its server sessions) is measured too.
 * <p>
 * A first round warms everything up and is not counted; then each round measures every variant in a rotated order,
 * and each variant's ratio is taken to the no-trigger table of the same round. The report gives the median ratio and
 * its range over the rounds. {@link #durableWritePath} measures only the no-trigger table and the durable trigger,
 * so the two of a round run seconds apart and more rounds fit in the time.
 */
final class WriteOverhead {

    static final String NONE = "no trigger";
    static final String CLASSIC = "per-row pg_notify(row_to_json(NEW)) trigger, nobody listening";
    static final String CLASSIC_LISTENING = "per-row pg_notify(row_to_json(NEW)) trigger, a session listening";
    /** Suffix of the variants whose consumer is stopped: the write path's cost alone (triggers, or slot and WAL). */
    static final String STOPPED = ", consumer stopped";
    /** The durable trigger alone: its cost to writers. */
    static final String DURABLE_WRITE_PATH = Consumers.DURABLE.variant() + STOPPED;
    static final String SINGLE_ROW = "INSERT INTO bench (payload, n) VALUES ('some payload of a typical row', 1);";
    static final String TEN_ROWS = rows(10);
    static final String SINGLE_ROW_SHAPE = "single-row transactions";
    static final String TEN_ROW_SHAPE = "10-row statements";

    /** One statement inserting {@code count} rows. */
    static String rows(int count) {
        return "INSERT INTO bench (payload, n) SELECT 'some payload of a typical row', g FROM generate_series(1, "
                + count + ") g;";
    }

    /**
     * Per shape and variant, one value per round: the transactions per second, the ratio to no trigger, and the CPU
     * of the consumer (only for variants whose consumer runs).
     */
    record Result(Map<String, Map<String, List<Double>>> tps, Map<String, Map<String, List<Double>>> ratios,
            Map<String, Map<String, List<ConsumerCpu.Usage>>> cpu) {

        double medianRatio(String shape, String variant) {
            return median(ratios.get(shape).get(variant));
        }
    }

    /** One measurement: transactions per second, and the consumer's CPU if one ran. */
    private record Measured(double tps, ConsumerCpu.Usage cpu) {
    }

    private final BenchServer server;
    private final int seconds;
    private final int rounds;
    private final List<String> variants;
    private final Map<String, String> shapes;

    private WriteOverhead(BenchServer server, int seconds, int rounds, List<String> variants,
            Map<String, String> shapes) {
        this.server = server;
        this.seconds = seconds;
        this.rounds = rounds;
        this.variants = variants;
        this.shapes = shapes;
    }

    /** Every variant, single-row transactions and 10-row statements. */
    static WriteOverhead allVariants(BenchServer server, int seconds, int rounds) {
        List<String> variants = new ArrayList<>(List.of(NONE, CLASSIC, CLASSIC_LISTENING));
        Consumers.PGFLASH.forEach(consumer -> variants.add(consumer.variant()));
        variants.add(DURABLE_WRITE_PATH);
        variants.add(Consumers.WAL.variant() + STOPPED);
        Map<String, String> shapes = new LinkedHashMap<>();
        shapes.put(SINGLE_ROW_SHAPE, SINGLE_ROW);
        shapes.put(TEN_ROW_SHAPE, TEN_ROWS);
        return new WriteOverhead(server, seconds, rounds, variants, shapes);
    }

    /** The durable trigger's cost to writers: no trigger against the durable trigger alone, single-row inserts. */
    static WriteOverhead durableWritePath(BenchServer server, int seconds, int rounds) {
        return new WriteOverhead(server, seconds, rounds, List.of(NONE, DURABLE_WRITE_PATH),
                Map.of(SINGLE_ROW_SHAPE, SINGLE_ROW));
    }

    Result run() throws Exception {
        Map<String, Map<String, List<Double>>> tps = new LinkedHashMap<>();
        Map<String, Map<String, List<Double>>> ratios = new LinkedHashMap<>();
        Map<String, Map<String, List<ConsumerCpu.Usage>>> cpu = new LinkedHashMap<>();
        for (Map.Entry<String, String> shape : shapes.entrySet()) {
            Map<String, List<Double>> shapeTps = new LinkedHashMap<>();
            Map<String, List<Double>> shapeRatios = new LinkedHashMap<>();
            Map<String, List<ConsumerCpu.Usage>> shapeCpu = new LinkedHashMap<>();
            variants.forEach(variant -> {
                shapeTps.put(variant, new ArrayList<>());
                shapeRatios.put(variant, new ArrayList<>());
                shapeCpu.put(variant, new ArrayList<>());
            });
            for (int round = 0; round <= rounds; round++) {
                Map<String, Measured> thisRound = new LinkedHashMap<>();
                for (int i = 0; i < variants.size(); i++) {
                    String variant = variants.get((i + round) % variants.size());
                    Measured measured = measure(variant, shape.getValue());
                    thisRound.put(variant, measured);
                    System.out.printf("write overhead, %s, %s: %-70s %8.0f tps%n", shape.getKey(),
                            round == 0 ? "warm-up" : "round " + round, variant, measured.tps());
                }
                if (round > 0) {
                    thisRound.forEach((variant, measured) -> {
                        shapeTps.get(variant).add(measured.tps());
                        shapeRatios.get(variant).add(measured.tps() / thisRound.get(NONE).tps());
                        if (measured.cpu() != null) {
                            shapeCpu.get(variant).add(measured.cpu());
                        }
                    });
                }
            }
            tps.put(shape.getKey(), shapeTps);
            ratios.put(shape.getKey(), shapeRatios);
            cpu.put(shape.getKey(), shapeCpu);
        }
        return new Result(tps, ratios, cpu);
    }

    private Measured measure(String variant, String transaction) throws Exception {
        server.recreateBenchTable();
        if (variant.equals(CLASSIC) || variant.equals(CLASSIC_LISTENING)) {
            server.execute("CREATE OR REPLACE FUNCTION bench_notify() RETURNS trigger LANGUAGE plpgsql AS"
                            + " $$ BEGIN PERFORM pg_notify('bench', row_to_json(NEW)::text); RETURN NULL; END $$",
                    "CREATE TRIGGER bench_notify AFTER INSERT ON bench FOR EACH ROW EXECUTE FUNCTION bench_notify()");
            if (variant.equals(CLASSIC_LISTENING)) {
                return new Measured(withListener(() -> server.pgbench(transaction, 4, seconds, 0)), null);
            }
            return new Measured(server.pgbench(transaction, 4, seconds, 0), null);
        }
        boolean stopped = variant.endsWith(STOPPED);
        String driver = stopped ? variant.substring(0, variant.length() - STOPPED.length()) : variant;
        Consumers kind = Consumers.PGFLASH.stream().filter(c -> c.variant().equals(driver)).findFirst()
                .orElse(null);
        if (kind == null) {
            return new Measured(server.pgbench(transaction, 4, seconds, 0), null);
        }
        try (ChangeConsumer consumer = kind.create(server)) {
            Consumers.startAndWarmUp(consumer, server);
            if (stopped) {
                consumer.stop(); // the triggers, or the slot and publication, stay and keep recording
                return new Measured(server.pgbench(transaction, 4, seconds, 0), null);
            }
            ConsumerCpu cpu = ConsumerCpu.start(server);
            double tps = server.pgbench(transaction, 4, seconds, 0);
            return new Measured(tps, cpu.stop());
        }
    }

    @FunctionalInterface
    private interface Measurement {
        double run() throws Exception;
    }

    /** Runs the measurement while a session LISTENs on the classic trigger's channel and reads what arrives. */
    private double withListener(Measurement measurement) throws Exception {
        AtomicBoolean listening = new AtomicBoolean(true);
        try (Connection connection = server.connect()) {
            connection.createStatement().execute("LISTEN bench");
            Thread reader = new Thread(() -> {
                try {
                    PGConnection pg = connection.unwrap(PGConnection.class);
                    while (listening.get()) {
                        pg.getNotifications(100);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "bench-listener");
            reader.start();
            try {
                return measurement.run();
            } finally {
                listening.set(false);
                reader.join();
            }
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** The standard error of the mean: how far the mean of these rounds may be from the true ratio. */
    static double standardError(List<Double> values) {
        double mean = mean(values);
        double variance = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / (values.size() - 1);
        return Math.sqrt(variance / values.size());
    }
}
