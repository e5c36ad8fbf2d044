package io.pgflash.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Write overhead: insert throughput with 4 pgbench writers on a table with no trigger, the classic per-row
 * {@code pg_notify(row_to_json(NEW))} trigger, and each pgflash driver with its consumer running (a no-op listener),
 * and for the durable and WAL drivers also with the consumer stopped (the write path alone), for single-row
 * transactions and 10-row statements. Several rounds, the order rotated per round; medians, as ratios to
 * the table without a trigger in the same run.
 */
final class WriteOverhead {

    static final String NONE = "no trigger";
    static final String CLASSIC = "per-row pg_notify(row_to_json(NEW)) trigger";
    /** Suffix of the variants whose consumer is stopped: the write path's cost alone (triggers, or slot and WAL). */
    static final String STOPPED = ", consumer stopped";
    static final String SINGLE_ROW = "INSERT INTO bench (payload, n) VALUES ('some payload of a typical row', 1);";
    static final String TEN_ROWS = rows(10);

    /** One statement inserting {@code count} rows. */
    static String rows(int count) {
        return "INSERT INTO bench (payload, n) SELECT 'some payload of a typical row', g FROM generate_series(1, "
                + count + ") g;";
    }

    /** Median transactions per second per variant, per shape ("single-row transactions", "10-row statements"). */
    record Result(Map<String, Map<String, Double>> tps) {

        double ratio(String shape, String variant) {
            return tps.get(shape).get(variant) / tps.get(shape).get(NONE);
        }
    }

    private final BenchServer server;
    private final int seconds;
    private final int rounds;

    WriteOverhead(BenchServer server, int seconds, int rounds) {
        this.server = server;
        this.seconds = seconds;
        this.rounds = rounds;
    }

    Result run() throws Exception {
        Map<String, String> shapes = new LinkedHashMap<>();
        shapes.put("single-row transactions", SINGLE_ROW);
        shapes.put("10-row statements", TEN_ROWS);
        List<String> variants = new ArrayList<>(List.of(NONE, CLASSIC));
        Consumers.PGFLASH.forEach(consumer -> variants.add(variantName(consumer)));
        variants.add(variantName(Consumers.DURABLE) + STOPPED);
        variants.add(variantName(Consumers.WAL) + STOPPED);

        Map<String, Map<String, Double>> medians = new LinkedHashMap<>();
        for (Map.Entry<String, String> shape : shapes.entrySet()) {
            Map<String, List<Double>> samples = new LinkedHashMap<>();
            variants.forEach(variant -> samples.put(variant, new ArrayList<>()));
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < variants.size(); i++) {
                    String variant = variants.get((i + round) % variants.size());
                    double tps = measure(variant, shape.getValue());
                    samples.get(variant).add(tps);
                    System.out.printf("write overhead, %s, round %d: %-45s %8.0f tps%n", shape.getKey(), round + 1,
                            variant, tps);
                }
            }
            Map<String, Double> byVariant = new LinkedHashMap<>();
            samples.forEach((variant, values) -> byVariant.put(variant, median(values)));
            medians.put(shape.getKey(), byVariant);
        }
        return new Result(medians);
    }

    static String variantName(Consumers consumer) {
        return switch (consumer) {
            case NOTIFY -> "pgflash trigger driver, notify mode";
            case DURABLE -> "pgflash trigger driver, durable mode";
            case WAL -> "pgflash WAL driver (publication and slot)";
            case DEBEZIUM -> "Debezium";
        };
    }

    private double measure(String variant, String transaction) throws Exception {
        server.recreateBenchTable();
        if (variant.equals(CLASSIC)) {
            server.execute("CREATE OR REPLACE FUNCTION bench_notify() RETURNS trigger LANGUAGE plpgsql AS"
                            + " $$ BEGIN PERFORM pg_notify('bench', row_to_json(NEW)::text); RETURN NULL; END $$",
                    "CREATE TRIGGER bench_notify AFTER INSERT ON bench FOR EACH ROW EXECUTE FUNCTION bench_notify()");
        }
        boolean stopped = variant.endsWith(STOPPED);
        String driver = stopped ? variant.substring(0, variant.length() - STOPPED.length()) : variant;
        Consumers kind = Consumers.PGFLASH.stream().filter(c -> variantName(c).equals(driver)).findFirst()
                .orElse(null);
        if (kind == null) {
            return server.pgbench(transaction, 4, seconds, 0);
        }
        try (ChangeConsumer consumer = kind.create(server)) {
            Consumers.startAndWarmUp(consumer, server);
            if (stopped) {
                consumer.stop(); // the triggers, or the slot and publication, stay and keep recording
            }
            return server.pgbench(transaction, 4, seconds, 0);
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }
}
