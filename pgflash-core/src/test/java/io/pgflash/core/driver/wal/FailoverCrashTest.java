package io.pgflash.core.driver.wal;

import static io.pgflash.core.driver.wal.WalCrashTest.ROWS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.FlashTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two instances of one group in JVMs of their own: the reading one is killed with SIGKILL mid-stream while rows are
 * written, the standby takes over within 10 s, and every row arrives.
 */
class FailoverCrashTest extends FlashTestBase {

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void theStandbyTakesOverFromAKilledReaderWithoutLoss(String driver) throws Exception {
        db.execute("DROP TABLE IF EXISTS crash_items", "CREATE TABLE crash_items (id int PRIMARY KEY)");
        String group = db.name() + "_failover_" + driver;
        Path file = Files.createTempFile("pgflash-failover", ".log");
        Process reader = WalCrashTest.startConsumer(group, file, driver);
        Process standby = WalCrashTest.startConsumer(group, file, driver);
        try {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> WalCrashTest.write(new AtomicInteger()));
            await().atMost(Duration.ofSeconds(60)).until(() -> WalCrashTest.lines(file).size() >= 500);

            reader.destroyForcibly().waitFor(); // SIGKILL
            int beforeKill = WalCrashTest.lines(file).size();
            await().atMost(Duration.ofSeconds(10)).until(() -> WalCrashTest.lines(file).size() > beforeKill);

            writer.join();
            await().atMost(Duration.ofSeconds(60)).until(() -> WalCrashTest.ids(file).size() == ROWS);
            assertThat(beforeKill).as("killed mid-stream").isLessThan(ROWS);
        } finally {
            reader.destroyForcibly().waitFor();
            standby.destroyForcibly().waitFor();
            if (driver.equals("wal")) {
                await().until(() -> { // the killed walsender lets go of the slot
                    try {
                        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                                + " WHERE slot_name = 'pgflash_" + group.toLowerCase() + "' AND NOT active");
                        return true;
                    } catch (IllegalStateException e) {
                        return false;
                    }
                });
            }
            Files.deleteIfExists(file);
        }
    }
}
