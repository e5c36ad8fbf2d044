package io.pgflash.core.driver.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.FlashTestBase;
import io.pgflash.core.driver.wal.WalCrashTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A durable consumer JVM killed with SIGKILL mid-stream, then restarted, gets every committed row at least once. */
class DurableCrashTest extends FlashTestBase {

    @Test
    void killedConsumerResumesFromItsCursorWithoutLoss() throws Exception {
        db.execute("CREATE TABLE crash_items (id int PRIMARY KEY)");
        Path file = Files.createTempFile("pgflash-durable-crash", ".log");
        try {
            Process first = WalCrashTest.startConsumer("crash", file, "durable");
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> WalCrashTest.write(new AtomicInteger()));
            await().atMost(Duration.ofSeconds(60)).until(() -> WalCrashTest.lines(file).size() >= 500);
            first.destroyForcibly().waitFor();
            int receivedBeforeKill = WalCrashTest.lines(file).size();
            writer.join();

            Process second = WalCrashTest.startConsumer("crash", file, "durable");
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> WalCrashTest.ids(file).size() == WalCrashTest.ROWS);
            } finally {
                second.destroyForcibly().waitFor();
            }
            int lines = WalCrashTest.lines(file).size();
            System.out.printf("durable crash test: %d rows, %d received before the kill, %d delivered twice%n",
                    WalCrashTest.ROWS, receivedBeforeKill, lines - WalCrashTest.ROWS);
            assertThat(receivedBeforeKill).as("killed mid-stream").isLessThan(WalCrashTest.ROWS);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
