package io.pgflash.spring.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.test.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The NOTIFY queue filling up because a session LISTENs inside an open transaction (so the server cannot clean the
 * queue past it): health turns DOWN past the threshold with the reason, the application keeps delivering, and health
 * is UP again once that transaction ends. The threshold is set low, as filling 8 GB takes too long for a test.
 */
@SpringBootTest(classes = BlogApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=quickstart", "pgflash.driver=trigger",
            "pgflash.health.notify-queue-usage-threshold=0.00001"})
class NotifyQueueHealthTest {

    static TestDatabase db;

    @Autowired
    Received received;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        db = StarterIntegrationTest.newDatabase(properties);
    }

    @Test
    void aQueueHeldBackByAnOpenTransactionTurnsHealthDownAndBackUp() throws Exception {
        assertThat(health().at("/status").asString()).isEqualTo("UP");
        try (Connection stalled = db.connect(); Statement statement = stalled.createStatement()) {
            statement.execute("LISTEN anything");
            stalled.setAutoCommit(false);
            statement.execute("SELECT 1"); // open, and never reading its notifications

            db.execute("INSERT INTO posts SELECT g, repeat('x', 1000), 'published', 1 FROM generate_series(1, 500) g");
            for (int id = 501; id <= 1000; id++) {
                db.execute("INSERT INTO posts VALUES (" + id + ", repeat('y', 1000), 'published', 1)");
            }

            await().untilAsserted(() -> {
                JsonNode pgflash = health();
                assertThat(pgflash.at("/status").asString()).isEqualTo("DOWN");
                assertThat(pgflash.at("/details/reason").asString()).contains("NOTIFY queue is", "LISTENs");
            });
            await().until(() -> received.published.size() == 1000); // the application kept delivering

            stalled.rollback();
        }
        await().untilAsserted(() -> assertThat(health().at("/status").asString()).isEqualTo("UP"));
    }

    private JsonNode health() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/actuator/health/pgflash")).build(),
                HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(response.body());
    }
}
