package io.pgflash.core.driver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.FlashTestBase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A consumer JVM killed with SIGKILL mid-stream loses nothing, and repeats only what it had not confirmed. */
public class WalCrashTest extends FlashTestBase {

    public static final int ROWS = 5000;

    @Test
    void killedConsumerResumesFromTheSlotWithoutLoss() throws Exception {
        db.execute("CREATE TABLE crash_items (id int PRIMARY KEY)");
        String group = db.name() + "_crash";
        Path file = Files.createTempFile("pgflash-crash", ".log");
        AtomicInteger written = new AtomicInteger();
        try {
            Process first = startConsumer(group, file);
            Lsn created = confirmedFlush("pgflash_" + group);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> write(written));

            // kill once some events are confirmed to the server and more are in flight
            await().atMost(Duration.ofSeconds(60)).until(() -> lines(file).size() >= 500
                    && confirmedFlush("pgflash_" + group).isAfter(created));
            first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no last status update
            int receivedBeforeKill = lines(file).size();
            writer.join();
            assertThat(receivedBeforeKill).as("killed mid-stream").isLessThan(ROWS);
            Lsn confirmedAtKill = confirmedFlush("pgflash_" + group);

            Process second = startConsumer(group, file);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> ids(file).size() == ROWS);
            } finally {
                second.destroyForcibly().waitFor();
            }

            Map<Integer, List<String>> seen = new HashMap<>();
            for (String line : lines(file)) {
                String[] parts = line.split(" ");
                seen.computeIfAbsent(Integer.valueOf(parts[0]), id -> new java.util.ArrayList<>()).add(parts[1]);
            }
            assertThat(seen).hasSize(ROWS);
            long twice = seen.values().stream().filter(p -> p.size() > 1).count();
            System.out.printf("crash test: %d rows, %d received before the kill, %d delivered twice%n", ROWS,
                    receivedBeforeKill, twice);
            assertThat(twice).as("confirmed events are not delivered again").isLessThan(receivedBeforeKill);
            seen.forEach((id, positions) -> {
                assertThat(positions).as("positions of row %d", id).containsOnly(positions.get(0));
                if (positions.size() > 1) {
                    long commitLsn = Long.parseUnsignedLong(positions.get(0).split(":")[0]);
                    assertThat(Long.compareUnsigned(commitLsn, confirmedAtKill.value()))
                            .as("row %d was delivered again although its commit was confirmed", id)
                            .isGreaterThanOrEqualTo(0);
                }
            });
        } finally {
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE slot_name = 'pgflash_" + group + "' AND NOT active");
            Files.deleteIfExists(file);
        }
    }

    private static Process startConsumer(String group, Path file) throws Exception {
        return startConsumer(group, file, "wal");
    }

    public static Process startConsumer(String group, Path file, String driver) throws Exception {
        return startConsumer(List.of(), group, file, driver, "crash_items");
    }

    /** Starts {@link CrashTestConsumer} in a JVM of its own and waits until it subscribed. */
    public static Process startConsumer(List<String> jvmOptions, String group, Path file, String driver, String table)
            throws Exception {
        List<String> command = new java.util.ArrayList<>(jvmOptions);
        command.addAll(List.of(CrashTestConsumer.class.getName(), db.jdbcUrl(), db.user(), db.password(), group,
                file.toString(), driver, table));
        return startProcess(command);
    }

    /**
     * Starts a JVM on the test's class path with {@code arguments} (options, main class and its arguments) and waits
     * until it prints READY; its output goes on to this one's.
     */
    public static Process startProcess(List<String> arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        while ((line = output.readLine()) != null && !line.equals("READY")) {
            System.out.println("[consumer] " + line);
        }
        CompletableFuture.runAsync(() -> output.lines().forEach(l -> System.out.println("[consumer] " + l)));
        return process;
    }

    public static void write(AtomicInteger written) {
        try (Connection connection = db.connect();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO crash_items VALUES (?)")) {
            for (int id = 1; id <= ROWS; id++) {
                insert.setInt(1, id);
                insert.execute();
                written.incrementAndGet();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Lsn confirmedFlush(String slot) throws Exception {
        try (Connection connection = db.connect(); PreparedStatement statement = connection.prepareStatement(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            }
        }
    }

    public static List<String> lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
    }

    public static java.util.Set<String> ids(Path file) throws Exception {
        return lines(file).stream().map(l -> l.split(" ")[0]).collect(java.util.stream.Collectors.toSet());
    }
}
