package io.pgflash.benchmarks;

import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableTriggerDriver;
import io.pgflash.core.driver.trigger.TriggerDriver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Write overhead, side by side on one PostgreSQL: single-row insert transactions per second from 4 writer
 * connections into a table with no trigger, the classic per-row {@code pg_notify(row_to_json(NEW))} trigger,
 * pgflash's notify-mode triggers and pgflash's durable-mode trigger (each with a running consumer). Rounds rotate
 * the order; the report gives each variant's median as a ratio to the table without a trigger in the same run.
 * <p>
 * {@code -Dbench.seconds=5 -Dbench.rounds=3 -Dbench.writers=4}; an embedded PostgreSQL (fsync on) unless
 * {@code -Dbench.url=jdbc:postgresql://...} (with {@code bench.user}, {@code bench.password}) names one.
 */
public final class WriteOverheadBenchmark {

    private static final int SECONDS = Integer.getInteger("bench.seconds", 5);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int WRITERS = Integer.getInteger("bench.writers", 4);

    private final String url;
    private final String user;
    private final String password;

    private WriteOverheadBenchmark(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    public static void main(String[] args) throws Exception {
        String url = System.getProperty("bench.url");
        EmbeddedPostgres embedded = null;
        if (url == null) {
            // durable commits, as in production (the embedded server's default turns fsync off)
            embedded = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical")
                    .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
                    .setServerConfig("max_connections", "50").start();
            url = embedded.getJdbcUrl("postgres", "postgres");
        }
        try {
            new WriteOverheadBenchmark(url, System.getProperty("bench.user", "postgres"),
                    System.getProperty("bench.password", "")).run();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private void run() throws Exception {
        String version;
        try (Connection connection = connect(); Statement statement = connection.createStatement();
                var rs = statement.executeQuery("SELECT version(), current_setting('fsync'),"
                        + " current_setting('synchronous_commit')")) {
            rs.next();
            version = rs.getString(1) + "; fsync=" + rs.getString(2) + ", synchronous_commit=" + rs.getString(3);
        }
        Map<String, Supplier<Variant>> variants = new LinkedHashMap<>();
        variants.put("no trigger", () -> new Variant("plain", null));
        variants.put("per-row pg_notify(row_to_json(NEW)) trigger", () -> new Variant("classic", null));
        variants.put("pgflash trigger driver, notify mode", () -> new Variant("notify",
                TriggerDriver.builder().schema("bench_notify").build()));
        variants.put("pgflash trigger driver, durable mode", () -> new Variant("durable",
                DurableTriggerDriver.builder().schema("bench_durable").group("bench").build()));
        variants.put("pgflash durable mode, consumer stopped", () -> new Variant("durable-stopped",
                DurableTriggerDriver.builder().schema("bench_durable").group("bench").build()));

        Map<String, List<Double>> results = new LinkedHashMap<>();
        variants.keySet().forEach(name -> results.put(name, new ArrayList<>()));
        List<String> names = new ArrayList<>(variants.keySet());
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < names.size(); i++) {
                String name = names.get((i + round) % names.size());
                try (Variant variant = variants.get(name).get()) {
                    double tps = variant.measure();
                    results.get(name).add(tps);
                    System.out.printf("round %d  %-48s %8.0f tps%n", round + 1, name, tps);
                }
            }
        }
        double baseline = median(results.get("no trigger"));
        System.out.println();
        System.out.println("PostgreSQL: " + version);
        System.out.printf("%d writer connections, single-row insert transactions, %d s per measurement, %d rounds%n",
                WRITERS, SECONDS, ROUNDS);
        System.out.println("| variant | median tps | ratio to no trigger |");
        System.out.println("| --- | --- | --- |");
        results.forEach((name, values) -> System.out.printf("| %s | %.0f | %.2f |%n", name, median(values),
                median(values) / baseline));
        double durable = median(results.get("pgflash trigger driver, durable mode")) / baseline;
        double classic = median(results.get("per-row pg_notify(row_to_json(NEW)) trigger")) / baseline;
        System.out.printf("target durable >= 0.85 of no trigger: %.2f %s%n", durable, durable >= 0.85 ? "PASS" : "FAIL");
        System.out.printf("target durable >= 1.5 x classic per-row NOTIFY: %.2f %s%n", durable / classic,
                durable / classic >= 1.5 ? "PASS" : "FAIL");
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    private Connection connect() throws Exception {
        return DriverManager.getConnection(url, user, password);
    }

    /** A fresh table with one way of capturing its changes, and a consumer where there is one. */
    private final class Variant implements AutoCloseable {
        private final PgFlash flash;
        private final AtomicLong consumed = new AtomicLong();

        Variant(String kind, ChangeDriver driver) {
            try (Connection connection = connect(); Statement statement = connection.createStatement()) {
                statement.execute("DROP TABLE IF EXISTS bench CASCADE");
                statement.execute("CREATE TABLE bench (id bigserial PRIMARY KEY, payload text, n int)");
                if (kind.equals("classic")) {
                    statement.execute("CREATE OR REPLACE FUNCTION bench_notify() RETURNS trigger LANGUAGE plpgsql AS"
                            + " $$ BEGIN PERFORM pg_notify('bench', row_to_json(NEW)::text); RETURN NULL; END $$");
                    statement.execute("CREATE TRIGGER bench_notify AFTER INSERT ON bench FOR EACH ROW"
                            + " EXECUTE FUNCTION bench_notify()");
                }
                statement.execute("CHECKPOINT");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            if (driver != null) {
                flash = PgFlash.builder().jdbcUrl(url, user, password).driver(driver).build();
                flash.subscribe(SubscriptionSpec.table("bench").build(), event -> consumed.incrementAndGet());
                flash.start();
                if (kind.endsWith("-stopped")) {
                    flash.stop(); // the durable triggers stay and keep recording while no consumer runs
                }
            } else {
                flash = null;
            }
        }

        double measure() throws Exception {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong inserted = new AtomicLong();
            CountDownLatch ready = new CountDownLatch(WRITERS);
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                Thread thread = new Thread(() -> {
                    try (Connection connection = connect(); PreparedStatement insert = connection.prepareStatement(
                            "INSERT INTO bench (payload, n) VALUES ('some payload of a typical row', ?)")) {
                        ready.countDown();
                        ready.await();
                        int n = 0;
                        while (running.get()) {
                            insert.setInt(1, n++);
                            insert.executeUpdate();
                            inserted.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                threads.add(thread);
                thread.start();
            }
            ready.await();
            long start = System.nanoTime();
            long before = inserted.get();
            Thread.sleep(SECONDS * 1000L); // the measured period: a benchmark waits for time itself
            long count = inserted.get() - before;
            double seconds = (System.nanoTime() - start) / 1e9;
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
            return count / seconds;
        }

        @Override
        public void close() {
            if (flash != null) {
                flash.close();
            }
        }
    }
}
