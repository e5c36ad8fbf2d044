package io.pgflash.core.driver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.FlashTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A transaction larger than the consumer's whole heap reaches its listener in full, with and without streaming: the
 * consumer runs in a JVM of its own with a 48 MB heap and receives one transaction of about 80 MB of rows.
 */
class LargeTransactionTest extends FlashTestBase {

    private static final int ROWS = 80_000;

    @ParameterizedTest
    @ValueSource(strings = {"wal", "wal-streaming"})
    void aTransactionLargerThanTheHeapIsDeliveredInFull(String driver) throws Exception {
        // the walsender streams any transaction over 64 kB of changes
        db.execute("ALTER ROLE " + db.user() + " IN DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE IF NOT EXISTS large_rows (id int PRIMARY KEY, payload text)",
                "TRUNCATE large_rows");
        String group = db.name() + "_large_" + driver.replace('-', '_');
        Path file = Files.createTempFile("pgflash-large", ".log");
        Process consumer = WalCrashTest.startConsumer(List.of("-Xmx48m", "-XX:+ExitOnOutOfMemoryError"), group, file,
                driver, "large_rows");
        try {
            try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
                // about 1 kB per row, below the size at which PostgreSQL would compress or TOAST it
                statement.execute("INSERT INTO large_rows SELECT g, repeat(md5(g::text), 32)"
                        + " FROM generate_series(1, " + ROWS + ") g");
            }

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertThat(consumer.isAlive()).as("the consumer JVM is alive (it exits on OutOfMemoryError)").isTrue();
                return WalCrashTest.lines(file).size() >= ROWS;
            });
            List<String> lines = WalCrashTest.lines(file);
            assertThat(lines).hasSize(ROWS);
            assertThat(lines.get(0)).startsWith("1 ");
            assertThat(lines.get(ROWS - 1)).startsWith(ROWS + " ");
        } finally {
            consumer.destroyForcibly().waitFor();
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE slot_name = 'pgflash_" + group + "' AND NOT active");
            Files.deleteIfExists(file);
        }
    }
}
