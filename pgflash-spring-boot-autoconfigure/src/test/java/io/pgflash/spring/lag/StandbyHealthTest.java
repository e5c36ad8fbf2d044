package io.pgflash.spring.lag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.spring.health.PgFlashHealthIndicator;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/** Two instances of one durable group: health shows which one reads (active) and which stands by, both UP. */
class StandbyHealthTest {

    @Test
    void healthShowsEachInstancesRole() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");
        SlotLagAtStartTest.Gate open = new SlotLagAtStartTest.Gate();
        open.open.countDown();
        try (ConfigurableApplicationContext first = start(db, open);
                ConfigurableApplicationContext second = start(db, open)) {
            Health active = first.getBean(PgFlashHealthIndicator.class).health(true);
            Health standby = second.getBean(PgFlashHealthIndicator.class).health(true);
            assertThat(active.getStatus()).isEqualTo(Status.UP);
            assertThat(active.getDetails()).containsEntry("role", "active").containsEntry("state", "streaming");
            assertThat(standby.getStatus()).isEqualTo(Status.UP);
            assertThat(standby.getDetails()).containsEntry("role", "standby").containsEntry("state", "standby");

            first.close();
            await().untilAsserted(() -> assertThat(second.getBean(PgFlashHealthIndicator.class).health(true)
                    .getDetails()).containsEntry("role", "active"));
        }
    }

    private static ConfigurableApplicationContext start(TestDatabase db, SlotLagAtStartTest.Gate gate) {
        return new SpringApplicationBuilder(SlotLagAtStartTest.LagApplication.class).web(WebApplicationType.NONE)
                .initializers(context -> context.getBeanFactory().registerSingleton("gate", gate))
                .run("--spring.datasource.url=" + db.jdbcUrl(), "--spring.datasource.username=" + db.user(),
                        "--spring.datasource.password=" + db.password(), "--pgflash.trigger.mode=durable",
                        "--pgflash.group=" + db.name() + "_ha", "--pgflash.standby-interval=300ms",
                        "--pgflash.shutdown-timeout=5s");
    }
}
