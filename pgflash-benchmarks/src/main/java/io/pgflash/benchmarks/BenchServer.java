package io.pgflash.benchmarks;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The one PostgreSQL every scenario of a run measures against: an embedded server with durable commits (fsync and
 * synchronous_commit on, as in production), or the server {@code -Dbench.url} names. Writers are pgbench processes: a
 * C client whose own CPU cost stays small on a 2-core machine.
 */
final class BenchServer implements AutoCloseable {

    private final EmbeddedPostgres embedded;
    final String url;
    final String user;
    final String password;

    private BenchServer(EmbeddedPostgres embedded, String url, String user, String password) {
        this.embedded = embedded;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    static BenchServer start() throws IOException {
        String url = System.getProperty("bench.url");
        if (url != null) {
            return new BenchServer(null, url, System.getProperty("bench.user", "postgres"),
                    System.getProperty("bench.password", ""));
        }
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setServerConfig("wal_level", "logical")
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("max_connections", "60")
                .setServerConfig("max_wal_size", "4GB")
                .start();
        return new BenchServer(postgres, "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres",
                "postgres", "");
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    void execute(String... statements) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    String queryString(String sql) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The server's version and the settings that matter for write throughput. */
    String describe() throws SQLException {
        return queryString("SELECT version() || '; fsync=' || current_setting('fsync') || ', synchronous_commit='"
                + " || current_setting('synchronous_commit') || ', wal_level=' || current_setting('wal_level')"
                + " || ', shared_buffers=' || current_setting('shared_buffers')");
    }

    private static final AtomicInteger names = new AtomicInteger();

    /** A slot or publication name of its own for each measurement, unique across the run's JVMs. */
    static String uniqueName(String prefix) {
        return prefix + "_" + ProcessHandle.current().pid() + "_" + names.incrementAndGet();
    }

    /**
     * A fresh {@code bench} table; {@code sent_at} is the insert's own clock, for latency. Refuses to go on while a
     * replication slot is left from an earlier measurement: it would keep WAL and cost the next one.
     */
    void recreateBenchTable() throws SQLException {
        String slots = queryString("SELECT string_agg(slot_name, ', ') FROM pg_replication_slots");
        if (slots != null) {
            throw new IllegalStateException("Replication slots left from an earlier measurement: " + slots);
        }
        execute("DROP TABLE IF EXISTS bench CASCADE",
                "CREATE TABLE bench (id bigserial PRIMARY KEY, payload text NOT NULL, n int NOT NULL,"
                        + " sent_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        try {
            execute("CHECKPOINT"); // each measurement starts without the previous one's dirty pages
        } catch (SQLException e) {
            System.out.println("CHECKPOINT not allowed (" + e.getMessage() + "); measuring without it");
        }
    }

    /** Waits (up to 60 s) until no process streams from the slot, then drops it. */
    void dropSlotWhenInactive(String slot) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ("t".equals(queryString("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots"
                + " WHERE slot_name = '" + slot + "'"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Slot " + slot + " still active 60 s after its consumer stopped");
            }
            Thread.sleep(50);
        }
        execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot
                + "'");
    }

    /**
     * Runs pgbench for {@code seconds} with one SQL line as its transaction.
     *
     * @param rate transactions per second in all (0: as fast as possible)
     * @return the transactions per second pgbench reports
     */
    double pgbench(String transaction, int clients, int seconds, int rate) throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(List.of("-T", String.valueOf(seconds)));
        if (rate > 0) {
            options.addAll(List.of("-R", String.valueOf(rate)));
        }
        return pgbench(transaction, clients, options);
    }

    /** What pgbench's writers measured themselves: throughput, and their transactions' own latency, p99. */
    record Writers(double tps, double p99Millis) {
    }

    /**
     * Runs pgbench at {@code rate} transactions per second for {@code seconds}, logging each transaction, and returns
     * its throughput with the 99th percentile of its transactions' own latency (without the wait for their turn
     * at that rate): the commits' tail, which no consumer can deliver before.
     */
    Writers pgbenchWithLatency(String transaction, int clients, int seconds, int rate)
            throws IOException, InterruptedException {
        Path logs = Files.createTempDirectory("pgflash-bench-log");
        try {
            double tps = pgbench(transaction, clients, List.of("-T", String.valueOf(seconds), "-R",
                    String.valueOf(rate), "-l", "--log-prefix=" + logs.resolve("tx")));
            List<Long> micros = new ArrayList<>();
            try (Stream<Path> files = Files.list(logs)) {
                for (Path file : files.toList()) {
                    for (String line : Files.readAllLines(file)) {
                        // client, transaction, time (µs, from its scheduled start), script, epoch s, µs, lag (µs)
                        String[] fields = line.split(" ");
                        if (fields.length >= 7) {
                            micros.add(Long.parseLong(fields[2]) - Long.parseLong(fields[6]));
                        }
                    }
                }
            }
            Collections.sort(micros);
            double p99 = micros.isEmpty() ? Double.NaN : micros.get((int) Math.ceil(micros.size() * 0.99) - 1) / 1000.0;
            return new Writers(tps, p99);
        } finally {
            try (Stream<Path> files = Files.list(logs)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(logs);
        }
    }

    /**
     * Runs about {@code transactions} transactions in all, as fast as possible: the same number per client, rounded
     * up. Returns how many ran.
     */
    int pgbenchCount(String transaction, int clients, int transactions) throws IOException, InterruptedException {
        int perClient = (transactions + clients - 1) / clients;
        pgbench(transaction, clients, List.of("-t", String.valueOf(perClient)));
        return perClient * clients;
    }

    private double pgbench(String transaction, int clients, List<String> options)
            throws IOException, InterruptedException {
        URI server = URI.create(url.substring("jdbc:".length()));
        Path script = Files.createTempFile("pgflash-bench", ".sql");
        Files.writeString(script, transaction + "\n");
        try {
            List<String> command = new ArrayList<>(List.of(pgbenchPath(), "-n", "-c", String.valueOf(clients),
                    "-j", String.valueOf(clients), "-f", script.toString(), "-h", server.getHost(),
                    "-p", String.valueOf(server.getPort() > 0 ? server.getPort() : 5432), "-U", user));
            command.addAll(options);
            command.add(server.getPath().substring(1));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("PGPASSWORD", password);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("pgbench failed: " + command + "\n" + output);
            }
            Matcher tps = Pattern.compile("tps = ([0-9.]+)").matcher(output);
            if (!tps.find()) {
                throw new IllegalStateException("no tps in pgbench's output:\n" + output);
            }
            return Double.parseDouble(tps.group(1));
        } finally {
            Files.delete(script);
        }
    }

    private static final String PGBENCH_MISSING = "The benchmarks drive their writers with pgbench, which does not"
            + " run here: install it (Debian: apt-get install postgresql-15, whose package carries pgbench)";

    private static String pgbenchPath() {
        return Stream.of(System.getenv("PATH").split(File.pathSeparator)).map(dir -> Path.of(dir, "pgbench"))
                .filter(Files::isExecutable).map(Path::toString).findFirst()
                .orElseThrow(() -> new IllegalStateException(PGBENCH_MISSING));
    }

    /** Fails at once, before any server starts, when pgbench is missing or does not run. */
    static void checkPgbench() throws IOException, InterruptedException {
        Process version = new ProcessBuilder(pgbenchPath(), "--version").redirectErrorStream(true).start();
        String output = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (version.waitFor() != 0 || !output.contains("pgbench")) {
            throw new IllegalStateException(PGBENCH_MISSING + "\n" + output);
        }
    }

    @Override
    public void close() throws IOException {
        if (embedded != null) {
            embedded.close();
        }
    }
}
