package io.pgflash.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Past the slot-lag threshold, /actuator/health reports pgflash DOWN with the reason. */
@SpringBootTest(classes = BlogApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=quickstart", "pgflash.health.slot-lag-threshold=0B"})
class HealthThresholdTest {

    static TestDatabase db;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        db = StarterIntegrationTest.newDatabase(properties);
        properties.add("pgflash.group", () -> db.name() + "_threshold");
        properties.add("pgflash.remove-objects-on-shutdown", () -> "true");
    }

    @Test
    void slotLagPastTheThresholdIsDown() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode pgflash = new ObjectMapper().readTree(response.body()).at("/components/pgflash");
        assertThat(pgflash.at("/status").asString()).isEqualTo("DOWN");
        assertThat(pgflash.at("/details/reason").asString()).contains("replication slot", "bytes behind");
    }
}
