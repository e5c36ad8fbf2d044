package io.pgflash.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The publishing application killed with SIGKILL in the middle of the stream while a writer commits rows, and
 * started again: every committed row is in Kafka at least once.
 */
class BridgeCrashTest extends KafkaTestSupport {

    private static final int ROWS = 3_000;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static int tables;

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void everyRowCommittedAroundAKillIsInKafkaAtLeastOnce(String driver) throws Exception {
        String table = "crash_" + (++tables);
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY)");
        String group = newGroup();
        KafkaConsumer<byte[], byte[]> reader = reader("pgflash.public." + table);
        Map<Integer, Integer> copies = new HashMap<>();

        Process first = start(group, driver, table);
        AtomicInteger written = new AtomicInteger();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> write(table, written));
        try {
            readUntil(reader, copies, () -> copies.size() >= ROWS / 3);
            first.destroyForcibly().waitFor(); // SIGKILL: no stop, nothing more confirmed
            int atKill = written.get();

            Process second = start(group, driver, table);
            try {
                writer.join();
                readUntil(reader, copies, () -> copies.size() >= ROWS);
            } finally {
                second.destroyForcibly().waitFor();
            }
            long again = copies.values().stream().filter(count -> count > 1).count();
            System.out.printf("%s bridge crash test: killed with %d of %d rows written; %d rows published twice%n",
                    driver, atKill, ROWS, again);
            assertThat(atKill).as("rows written when killed").isLessThan(ROWS);
            assertThat(copies).hasSize(ROWS);
        } finally {
            if (driver.equals("wal")) {
                db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = 'pgflash_" + group + "' AND NOT active");
            }
        }
    }

    /** Rows 1 to {@link #ROWS}, one per transaction, at about 1,000 a second. */
    private static void write(String table, AtomicInteger written) {
        try (Connection connection = db.connect();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " VALUES (?)")) {
            for (int id = 1; id <= ROWS; id++) {
                insert.setInt(1, id);
                insert.execute();
                written.incrementAndGet();
                if (id % 100 == 0) {
                    Thread.sleep(100);
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void readUntil(KafkaConsumer<byte[], byte[]> reader, Map<Integer, Integer> copies,
            java.util.function.BooleanSupplier done) {
        await().atMost(Duration.ofMinutes(2)).until(() -> {
            reader.poll(Duration.ofMillis(200)).forEach(record -> copies.merge(
                    JSON.readTree(record.key()).get("id").asInt(), 1, Integer::sum));
            return done.getAsBoolean();
        });
    }

    private static Process start(String group, String driver, String table) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"), BridgeProcess.class.getName(),
                db.jdbcUrl(), db.user(), db.password(), group, driver, table, broker.getBrokersAsString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        while ((line = output.readLine()) != null && !line.equals("READY")) {
            System.out.println("[publisher] " + line);
        }
        CompletableFuture.runAsync(() -> output.lines().forEach(l -> System.out.println("[publisher] " + l)));
        return process;
    }
}
