package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts an embedded PostgreSQL, subscribes to a table, writes a few changes and prints each event as it arrives.
 * Give a database with {@code -Dpgflash.url=jdbc:postgresql://... -Dpgflash.user=... -Dpgflash.password=...}.
 */
public final class Demo {

    private static final int EXPECTED_EVENTS = 6;

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        String url = System.getProperty("pgflash.url");
        EmbeddedPostgres embedded = null;
        String user = System.getProperty("pgflash.user", "postgres");
        String password = System.getProperty("pgflash.password", "");
        if (url == null) {
            System.out.println("Starting an embedded PostgreSQL (no -Dpgflash.url given)...");
            embedded = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical").start();
            url = embedded.getJdbcUrl("postgres", "postgres");
        }
        try {
            run(url, user, password);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    static void run(String url, String user, String password) throws Exception {
        try (Connection connection = java.sql.DriverManager.getConnection(url, user, password);
                Statement sql = connection.createStatement()) {
            sql.execute("CREATE TABLE IF NOT EXISTS demo_posts (id serial PRIMARY KEY, title text NOT NULL,"
                    + " status text NOT NULL DEFAULT 'draft', created_at timestamptz NOT NULL DEFAULT now())");

            CountDownLatch received = new CountDownLatch(EXPECTED_EVENTS);
            try (PgFlash flash = PgFlash.builder().jdbcUrl(url, user, password).build()) {
                flash.start();
                flash.subscribe(SubscriptionSpec.table("demo_posts").build(), event -> {
                    print(event);
                    received.countDown();
                });
                flash.subscribe(SubscriptionSpec.table("demo_posts").operations(Operation.INSERT)
                        .filter("status=eq.published").build(),
                        event -> System.out.println("    published: \"" + event.newRow().get("title") + "\""));

                System.out.println("Listening to demo_posts. Writing some changes...");
                sql.execute("INSERT INTO demo_posts (title) VALUES ('Hello, pgflash')");
                sql.execute("INSERT INTO demo_posts (title, status) VALUES ('Second post', 'draft'),"
                        + " ('Third post', 'draft')");
                sql.execute("UPDATE demo_posts SET status = 'published' WHERE title = 'Hello, pgflash'");
                sql.execute("DELETE FROM demo_posts WHERE title = 'Third post'");
                sql.execute("TRUNCATE demo_posts");

                if (!received.await(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("Not all changes arrived within 30 s");
                }
            }
            System.out.println("All " + EXPECTED_EVENTS + " changes arrived. Done.");
        }
    }

    private static void print(ChangeEvent event) {
        long latencyMillis = Duration.between(event.timestamp(), Instant.now()).toMillis();
        String row = event.operation() == Operation.TRUNCATE ? "" : " " + event.row();
        System.out.printf("%-8s %s%s  (position %s, %d ms after the statement)%n", event.operation(), event.table(),
                row, event.position(), latencyMillis);
    }
}
