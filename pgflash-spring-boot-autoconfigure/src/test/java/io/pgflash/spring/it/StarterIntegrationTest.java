package io.pgflash.spring.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.test.Documentation;
import io.pgflash.core.Operation;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The starter in a running web application against real PostgreSQL: annotated methods with each parameter style,
 * filters and partial fields from annotations, listener control by id, health and metrics over HTTP. Subclasses pick
 * the driver.
 */
@SpringBootTest(classes = BlogApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=quickstart", "pgflash.shutdown-timeout=5s"})
abstract class StarterIntegrationTest {

    @Autowired
    Received received;

    @Autowired
    ListenerEndpointRegistry registry;

    @LocalServerPort
    int port;

    static TestDatabase newDatabase(DynamicPropertyRegistry properties) {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text, status text, author_id bigint)",
                "CREATE TABLE comments (id bigint PRIMARY KEY, post_id bigint, body text)");
        properties.add("spring.datasource.url", db::jdbcUrl);
        properties.add("spring.datasource.username", db::user);
        properties.add("spring.datasource.password", db::password);
        return db;
    }

    abstract TestDatabase db();

    @BeforeEach
    void clean() {
        db().execute("DELETE FROM comments");
        received.published.clear();
        received.titleChanges.clear();
        received.removed.clear();
        received.commentBatches.clear();
    }

    @Test
    void annotatedMethodsReceiveTheirChanges() {
        db().execute("INSERT INTO posts VALUES (1, 'Draft', 'draft', 7), (2, 'Hello', 'published', 7)",
                "UPDATE posts SET status = 'archived' WHERE id = 1",
                "UPDATE posts SET title = 'Hello, world' WHERE id = 2",
                "DELETE FROM posts WHERE id = 1",
                "TRUNCATE posts CASCADE",
                "INSERT INTO comments SELECT g, 2, 'c' || g FROM generate_series(1, 3) g");

        await().until(() -> received.removed.size() == 2
                && received.commentBatches.stream().mapToInt(java.util.List::size).sum() == 3);
        assertThat(received.published).containsExactly(new Post(2L, "Hello", "published", 7L));
        assertThat(received.titleChanges).containsExactly("Hello -> Hello, world");
        assertThat(received.removed).containsExactly(Operation.DELETE, Operation.TRUNCATE);
        assertThat(received.commentBatches).allSatisfy(batch -> assertThat(batch).isNotEmpty());
    }

    @Test
    void aListenerWithASnapshotGetsTheRowsAsReadEventsBetweenTwoApplicationEvents() throws Exception {
        db().execute("DELETE FROM posts WHERE author_id = 99");
        // the initial snapshot (again after a restart) is over
        await().until(() -> !received.snapshots.isEmpty()
                && received.snapshots.get(received.snapshots.size() - 1).startsWith("COMPLETED"));
        db().execute("INSERT INTO posts VALUES (11, 'A', 'published', 99), (12, 'B', 'draft', 99),"
                + " (13, 'C', 'draft', 98)");
        await().until(() -> received.cached.containsAll(java.util.List.of("INSERT 11", "INSERT 12")));
        received.cached.clear();
        received.snapshots.clear();

        long rows = registry.snapshot("author-99-cache").get(1, java.util.concurrent.TimeUnit.MINUTES);

        assertThat(rows).isEqualTo(2);
        await().until(() -> received.snapshots.size() == 2);
        assertThat(received.cached).containsExactlyInAnyOrder("READ 11", "READ 12");
        assertThat(received.snapshots).containsExactly("STARTED 0", "COMPLETED 2");
        JsonNode snapshots = json(get("/actuator/health")).at("/components/pgflash/details/snapshots");
        assertThat(snapshots.findValuesAsString("listener")).contains("author-99-cache");
        assertThat(get("/actuator/prometheus")).contains("pgflash_snapshot_rows_read_rows{listener=\"author-99-cache\"",
                "pgflash_snapshot_running{listener=\"author-99-cache\"");
    }

    @Test
    void listenersStartAndStopById() {
        assertThat(registry.isRunning("paused")).isFalse();
        registry.start("paused");
        db().execute("INSERT INTO posts VALUES (100, 'x', 'draft', 1)");
        await().until(() -> received.paused.size() == 1);
        registry.stop("paused");
        assertThat(registry.isRunning("paused")).isFalse();
        assertThat(registry.listenerIds()).contains("comment-batches", "paused");
    }

    @Test
    void theRegistryStopsAndStartsAgain() {
        registry.stop();
        assertThat(registry.isRunning("comment-batches")).isFalse();
        registry.start();

        db().execute("INSERT INTO posts VALUES (301, 'After restart', 'published', 3)");
        await().until(() -> received.published.stream().anyMatch(p -> p.id() == 301L));
        assertThat(registry.isRunning("comment-batches")).isTrue();
    }

    @Test
    void healthAndMetricsOverHttp() throws Exception {
        db().execute("INSERT INTO posts VALUES (200, 'm', 'published', 1)");
        await().until(() -> !received.published.isEmpty());

        JsonNode health = json(get("/actuator/health")).at("/components/pgflash");
        assertThat(health.at("/status").asString()).isEqualTo("UP");
        assertThat(health.at("/details/driver").asString()).isEqualTo(driverName());
        assertThat(health.at("/details/state").asString()).isEqualTo("streaming");
        // the WAL driver and the durable mode read with one instance per group; notify mode is every instance's
        assertThat(health.at("/details/role").asString(null)).isEqualTo(driverName().equals("notify") ? null
                : "active");
        assertThat(health.at("/details/" + driverHealthDetail()).isMissingNode()).isFalse();
        assertThat(health.at("/details/listeners/comment-batches").asString()).isEqualTo("running");
        assertThat(health.at("/details/listeners/paused").asString()).isEqualTo("stopped");
        assertThat(health.at("/details/lastEventAge").asString()).endsWith("ms");
        await().untilAsserted(() -> assertThat(get("/actuator/metrics/pgflash.events.received"))
                .contains("\"name\":\"pgflash.events.received\""));
        assertThat(get("/actuator/metrics/pgflash.listener.duration")).contains("pgflash.listener.duration");
        assertThat(get("/actuator/prometheus")).contains("pgflash_events_delivered_total{", driverGauge());
    }

    abstract String driverName();

    /** The health detail only this driver reports. */
    abstract String driverHealthDetail();

    /** The Prometheus gauge only this driver has. */
    abstract String driverGauge();

    static JsonNode json(String text) {
        return new ObjectMapper().readTree(text);
    }

    String get(String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.body();
    }

    @Test
    void readmeQuickStartIsThisApplication() throws Exception {
        String readme = Documentation.all();
        String source = Files.readString(Path.of("src/test/java/io/pgflash/spring/it/PostListeners.java"));
        String listeners = source.substring(source.indexOf("// README-START\n") + "// README-START\n".length(),
                source.indexOf("// README-END")).stripIndent();
        String yaml = Files.readString(Path.of("src/test/resources/quickstart.yml"));
        assertThat(readme).contains(listeners).contains(yaml.strip());
    }
}
