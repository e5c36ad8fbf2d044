package io.pgflash.spring.exposure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgflash.core.ChangeEvent;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The database password never shows in the console log (pgflash at DEBUG), health details, metrics or their tags; and
 * a listener that keeps failing is retried, then skipped, and counted with that outcome in the metrics.
 */
@ExtendWith(OutputCaptureExtension.class)
class SecretsAndFailuresTest {

    private static final String PASSWORD = "pw-never-shown-7319"; // the test server trusts local logins

    @Test
    void thePasswordShowsNowhereAndFailuresAreCounted(CapturedOutput output) throws Exception {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(FailingApplication.class).run(
                "--server.port=0", "--spring.datasource.url=" + db.jdbcUrl(), "--spring.datasource.username="
                        + db.user(), "--spring.datasource.password=" + PASSWORD, "--logging.level.io.pgflash=DEBUG",
                "--pgflash.error.back-off-initial=10ms", "--management.endpoints.web.exposure.include=*",
                "--management.endpoint.health.show-details=always")) {
            db.execute("INSERT INTO posts VALUES (1, 'fails every time')");
            MeterRegistry meters = app.getBean(MeterRegistry.class);
            await().untilAsserted(() -> assertThat(meters.find("pgflash.events.delivered").tag("outcome", "skipped")
                    .counter()).isNotNull().satisfies(counter -> assertThat(counter.count()).isEqualTo(1)));
            assertThat(app.getBean(AlwaysFails.class).calls).isEqualTo(3); // maxAttempts

            int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
            for (String path : new String[] {"/actuator/health", "/actuator/metrics",
                "/actuator/metrics/pgflash.events.delivered", "/actuator/prometheus", "/actuator/env",
                "/actuator/configprops"}) {
                HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.body()).as(path).doesNotContain(PASSWORD);
            }
        }
        assertThat(output.getAll()).contains("this listener always fails", "DEBUG").doesNotContain(PASSWORD);
    }

    @SpringBootApplication
    static class FailingApplication {

        @Bean
        AlwaysFails alwaysFails() {
            return new AlwaysFails();
        }
    }

    static class AlwaysFails {
        volatile int calls;

        @PgChangeListener(value = "posts", maxAttempts = "3")
        void onChange(ChangeEvent event) {
            calls++;
            throw new IllegalStateException("this listener always fails");
        }
    }
}
