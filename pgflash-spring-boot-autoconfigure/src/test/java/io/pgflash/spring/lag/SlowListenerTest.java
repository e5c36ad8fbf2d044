package io.pgflash.spring.lag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgflash.core.ChangeEvent;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.spring.health.PgFlashHealthIndicator;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A listener slower than the writes: the lag shows in the metrics gauge and the health details while it works
 * through it, and nothing is dropped; every row arrives once, in order.
 */
class SlowListenerTest {

    private static final int ROWS = 3000;

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void theLagShowsAndNothingIsDropped(String driver) {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");
        boolean wal = driver.equals("wal");
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(SlowApplication.class)
                .web(WebApplicationType.NONE).run("--spring.datasource.url=" + db.jdbcUrl(),
                        "--spring.datasource.username=" + db.user(), "--spring.datasource.password=" + db.password(),
                        "--pgflash.driver=" + (wal ? "wal" : "trigger"), "--pgflash.trigger.mode=durable",
                        "--pgflash.group=" + db.name() + "_slow", "--pgflash.remove-objects-on-shutdown=true",
                        "--pgflash.shutdown-timeout=5s")) {
            SlowListener listener = app.getBean(SlowListener.class);
            MeterRegistry meters = app.getBean(MeterRegistry.class);
            PgFlashHealthIndicator health = app.getBean(PgFlashHealthIndicator.class);
            String gauge = wal ? "pgflash.slot.lag" : "pgflash.durable.backlog";
            String detail = wal ? "slot" : "backlog";

            for (int batch = 0; batch < ROWS / 100; batch++) {
                db.execute("INSERT INTO posts SELECT g, 'row ' || g FROM generate_series(" + (batch * 100 + 1) + ", "
                        + (batch * 100 + 100) + ") g");
            }
            AtomicBoolean lagSeen = new AtomicBoolean();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                double lag = meters.get(gauge).gauge().value();
                Object shown = health.health(true).getDetails().get(detail);
                if (lag > 0 && shown != null && listener.ids.size() < ROWS) {
                    lagSeen.set(true);
                }
                return listener.ids.size() >= ROWS;
            });
            assertThat(lagSeen).as("lag seen in %s and health while the listener was behind", gauge).isTrue();
            assertThat(listener.ids).hasSize(ROWS).isSorted().doesNotHaveDuplicates();
        }
    }

    @SpringBootApplication
    static class SlowApplication {

        @Bean
        SlowListener slowListener() {
            return new SlowListener();
        }
    }

    static class SlowListener {
        final List<Long> ids = new CopyOnWriteArrayList<>();

        @PgChangeListener("posts")
        void onChange(ChangeEvent event) throws InterruptedException {
            TimeUnit.MICROSECONDS.sleep(500); // slower than the writes: a test listener that simulates work
            ids.add((Long) event.row().get("id"));
        }
    }
}
