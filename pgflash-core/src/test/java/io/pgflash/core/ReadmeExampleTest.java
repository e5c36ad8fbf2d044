package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.test.Documentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.wal.WalDriver;
import org.junit.jupiter.api.Test;

/** The README's Java example is this code, compiled and run against a real server. */
class ReadmeExampleTest extends FlashTestBase {

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        db.execute("DROP TABLE IF EXISTS posts",
                "CREATE TABLE posts (id bigserial PRIMARY KEY, title text, status text)");
        String url = db.jdbcUrl();
        String user = db.user();
        String password = db.password();
        Recorder recorder = new Recorder();

        // README-START
        try (PgFlash flash = PgFlash.builder().jdbcUrl(url, user, password).build()) {
            flash.start();
            flash.subscribe(
                    SubscriptionSpec.table("posts")
                            .operations(Operation.INSERT, Operation.UPDATE)
                            .filter("status=eq.published")
                            .build(),
                    event -> System.out.println(event.operation() + " " + event.newRow().get("title")));
            // events arrive one at a time, in commit order, on pgflash's delivery threads, until close()
            // README-END
            flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT, Operation.UPDATE)
                    .filter("status=eq.published").build(), recorder);
            db.execute("INSERT INTO posts (title, status) VALUES ('Draft', 'draft'), ('Hello', 'published')");
            assertThat(recorder.awaitSingle().newRow().get("title")).isEqualTo("Hello");
        }

        assertThat(readme()).contains(exampleFromThisFile());
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

    private static String readme() throws Exception {
        return Documentation.all();
    }

    /** The lines between the markers, de-indented as the README shows them. */
    private static String exampleFromThisFile() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/pgflash/core/ReadmeExampleTest.java"));
        String between = source.substring(source.indexOf("// README-START\n") + "// README-START\n".length(),
                source.indexOf("// README-END"));
        return between.stripIndent();
    }
}
