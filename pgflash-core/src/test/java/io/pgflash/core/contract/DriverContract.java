package io.pgflash.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.FlashTestBase;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guarantees every driver keeps, tested once: each driver (and mode) has a subclass that supplies it, and a
 * driver that differs on purpose overrides the test to assert its documented difference.
 */
public abstract class DriverContract extends FlashTestBase {

    /** A new driver of the kind under test, in a consumer group (or schema) of its own per test. */
    protected abstract ChangeDriver newDriver();

    /** The name of the driver's reader thread. */
    protected abstract String readerThread(ChangeDriver driver);

    @BeforeEach
    void posts() {
        db.execute("DROP TABLE IF EXISTS posts CASCADE", "CREATE TABLE posts (id int PRIMARY KEY, title text)");
    }

    @Test
    void stoppingWhileTheReaderWaitsForRoomDoesNotWaitForStuckListeners() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ChangeDriver driver = newDriver();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver)
                .shutdownTimeout(Duration.ofMillis(500)).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").build(), event -> release.await());
        flash.start();
        try {
            db.execute("INSERT INTO posts SELECT g, 'row' FROM generate_series(1, 2000) g"); // more than a queue holds
            await().until(() -> waitsForRoom(readerThread(driver)));

            // before, stop waited for the reader: 10 s (WAL), four poll intervals and more (durable, notify)
            assertThat(CompletableFuture.runAsync(flash::stop)).succeedsWithin(Duration.ofSeconds(5));
        } finally {
            release.countDown();
        }
    }
}
