package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.readme.PrintPublishedPosts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Java examples of the README and getting-started.md, compiled and run against a real server. */
class ReadmeExampleTest extends FlashTestBase {

    @Test
    void theGettingStartedProgramPrintsPublishedPostsUntilStopped() throws Exception {
        db.execute("DROP TABLE IF EXISTS posts",
                "CREATE TABLE posts (id bigserial PRIMARY KEY, title text, status text)");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PrintPublishedPosts.class.getName())
                .redirectErrorStream(true);
        builder.environment().putAll(
                Map.of("PG_URL", db.jdbcUrl(), "PG_USER", db.user(), "PG_PASSWORD", db.password()));
        Process program = builder.start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(program.getInputStream(),
                StandardCharsets.UTF_8)).lines().forEach(output::add));
        reader.start();
        try {
            // the program has subscribed once its trigger is on the table
            await().atMost(Duration.ofSeconds(60)).until(() -> triggerCount("posts") > 0);
            db.execute("INSERT INTO posts (title, status) VALUES ('Draft', 'draft'), ('Hello', 'published')");
            await().untilAsserted(() -> assertThat(output).contains("INSERT Hello").doesNotContain("INSERT Draft"));
        } finally {
            program.destroy(); // SIGTERM runs the shutdown hook, as Ctrl-C does
        }
        assertThat(program.waitFor(30, TimeUnit.SECONDS)).as("the program stops on SIGTERM").isTrue();
        reader.join();
        await().untilAsserted(() -> assertThat(triggerCount("posts")).as("close() removed its trigger").isZero());
    }

    @Test
    void readmeDriverExamplesStart() {
        String url = db.jdbcUrl();
        String user = db.user();
        String password = db.password();

        // README-START
        PgFlash flash = PgFlash.builder()
                .jdbcUrl(url, user, password)
                .driver(WalDriver.builder().group("orders-service").build())
                .build();
        // README-END
        try (flash) {
            flash.start();
            assertThat(queryLong("SELECT count(*) FROM pg_replication_slots"
                    + " WHERE slot_name = 'pgflash_orders_service'")).isOne();
        } finally {
            db.execute("SELECT pg_drop_replication_slot('pgflash_orders_service')",
                    "DROP PUBLICATION pgflash_orders_service");
        }

        PgFlash durable = durableExample(url, user, password);
        try (durable) {
            durable.start();
            assertThat(queryLong("SELECT count(*) FROM pgflash.groups WHERE name = 'orders-service'"))
                    .isOne();
        }
    }

    private static PgFlash durableExample(String url, String user, String password) {
        // README-START
        PgFlash flash = PgFlash.builder()
                .jdbcUrl(url, user, password)
                .driver(DurableDriver.builder().group("orders-service").build())
                .build();
        // README-END
        return flash;
    }

    @Test
    void readmeSnapshotExampleKeepsACopyOfThePublishedPosts() throws Exception {
        db.execute("DROP TABLE IF EXISTS posts",
                "CREATE TABLE posts (id bigserial PRIMARY KEY, title text, status text)",
                "INSERT INTO posts (title, status) VALUES ('Old', 'published'), ('Draft', 'draft')");
        Map<Row, Row> cache = new ConcurrentHashMap<>();
        PgFlash flash = startFlash();

        // README-START
        flash.subscribe(SubscriptionSpec.table("posts").filter("status=eq.published")
                .snapshot(SnapshotMode.INITIAL).build(), event -> {
            switch (event.operation()) {
                case READ, INSERT, UPDATE -> cache.put(event.key(), event.newRow());
                case DELETE -> cache.remove(event.key());
                case TRUNCATE -> cache.clear();
            }
        });
        // README-END
        db.execute("INSERT INTO posts (title, status) VALUES ('New', 'published')");

        await().untilAsserted(() -> assertThat(cache.values()).extracting(row -> row.get("title"))
                .containsExactlyInAnyOrder("Old", "New"));
    }
}
