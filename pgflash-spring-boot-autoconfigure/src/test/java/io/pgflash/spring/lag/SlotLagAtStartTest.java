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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * WAL written while the application is stopped leaves its slot behind: at the next start, health shows the lag past
 * the threshold (DOWN, with the reason) until the listeners have caught up. The listener here waits at a gate, so the
 * test sees the lag before the catch-up, and that meanwhile the driver reads only as much as its bounded queues hold.
 */
class SlotLagAtStartTest {

    @Test
    void lagBuiltWhileStoppedIsDownAtTheNextStartUntilCaughtUp() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");

        Gate gate = new Gate();
        gate.open.countDown();
        try (ConfigurableApplicationContext first = start(db, gate, false)) {
            db.execute("INSERT INTO posts VALUES (0, 'before the stop')");
            await().until(() -> gate.handled.get() == 1);
        }

        // about 10 MB of WAL for the slot while nobody reads it
        db.execute("INSERT INTO posts SELECT g, repeat('x', 1000) FROM generate_series(1, 10000) g");

        Gate closed = new Gate();
        try (ConfigurableApplicationContext second = start(db, closed, true)) {
            PgFlashHealthIndicator health = second.getBean(PgFlashHealthIndicator.class);
            Health atStart = health.health(true);
            assertThat(atStart.getStatus()).isEqualTo(Status.DOWN);
            assertThat(String.valueOf(atStart.getDetails().get("reason"))).contains("replication slot", "bytes behind");

            // backpressure: with the listener held, the driver reads a bounded number of events, not the backlog
            MeterRegistry meters = second.getBean(MeterRegistry.class);
            await().until(() -> received(meters) > 0);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> received(meters) < 2_500);

            closed.open.countDown();
            await().until(() -> closed.handled.get() == 10_000);
            await().untilAsserted(() -> assertThat(health.health(true).getStatus()).isEqualTo(Status.UP));
        }
    }

    private static double received(MeterRegistry meters) {
        return meters.find("pgflash.events.received").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static ConfigurableApplicationContext start(TestDatabase db, Gate gate, boolean removeSlotAtTheEnd) {
        return new SpringApplicationBuilder(LagApplication.class).web(WebApplicationType.NONE)
                .initializers(context -> context.getBeanFactory().registerSingleton("gate", gate))
                .run("--spring.datasource.url=" + db.jdbcUrl(), "--spring.datasource.username=" + db.user(),
                        "--spring.datasource.password=" + db.password(), "--pgflash.driver=wal",
                        "--pgflash.group=" + db.name() + "_lag", "--pgflash.health.slot-lag-threshold=1MB",
                        "--pgflash.shutdown-timeout=5s", "--pgflash.remove-objects-on-shutdown=" + removeSlotAtTheEnd);
    }

    /** Holds the listener until opened, and counts what it handled. */
    static final class Gate {
        final CountDownLatch open = new CountDownLatch(1);
        final AtomicInteger handled = new AtomicInteger();
    }

    @SpringBootApplication
    static class LagApplication {

        @Bean
        GatedListener gatedListener(Gate gate) {
            return new GatedListener(gate);
        }
    }

    static class GatedListener {
        private final Gate gate;

        GatedListener(Gate gate) {
            this.gate = gate;
        }

        @PgChangeListener("posts")
        void onChange(ChangeEvent event) throws InterruptedException {
            gate.open.await();
            gate.handled.incrementAndGet();
        }
    }
}
