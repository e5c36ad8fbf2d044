package io.pgflash.spring.observation;

import static org.awaitility.Awaitility.await;

import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Each listener call runs in a {@code pgflash.listener} observation, tagged with the listener, table, operation and
 * outcome (position and transaction id as high-cardinality tags), batches too; off with
 * {@code pgflash.observation.enabled=false}.
 */
class ListenerObservationTest {

    @Test
    void eachListenerCallIsObservedWithItsListenerTableOperationAndOutcome() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");
        try (ConfigurableApplicationContext app = run(db, true)) {
            ObservedListeners listeners = app.getBean(ObservedListeners.class);
            TestObservationRegistry observations = app.getBean(TestObservationRegistry.class);
            db.execute("INSERT INTO posts VALUES (1, 'fine')", "INSERT INTO posts VALUES (2, 'fails')");
            await().until(() -> listeners.single.size() >= 2 && !listeners.batches.isEmpty());

            await().untilAsserted(() -> TestObservationRegistryAssert.assertThat(observations)
                    .hasAnObservation(observation -> observation.hasNameEqualTo("pgflash.listener")
                            .hasContextualNameEqualTo("inserts process")
                            .hasLowCardinalityKeyValue("pgflash.listener.id", "inserts")
                            .hasLowCardinalityKeyValue("pgflash.table", "\"public\".\"posts\"")
                            .hasLowCardinalityKeyValue("pgflash.operation", "INSERT")
                            .hasLowCardinalityKeyValue("pgflash.outcome", "success")
                            .hasHighCardinalityKeyValueWithKey("pgflash.position")
                            .hasHighCardinalityKeyValueWithKey("pgflash.transaction.id"))
                    .hasAnObservation(observation -> observation
                            .hasLowCardinalityKeyValue("pgflash.listener.id", "inserts")
                            .hasLowCardinalityKeyValue("pgflash.outcome", "error")
                            .assertThatError().hasMessage("refused: fails"))
                    .hasAnObservation(observation -> observation
                            .hasLowCardinalityKeyValue("pgflash.listener.id", "batches")
                            .hasLowCardinalityKeyValue("pgflash.operation", "INSERT")
                            .hasHighCardinalityKeyValueWithKey("pgflash.events")));
        }
    }

    @Test
    void turnedOffNoCallIsObserved() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");
        try (ConfigurableApplicationContext app = run(db, false)) {
            ObservedListeners listeners = app.getBean(ObservedListeners.class);
            db.execute("INSERT INTO posts VALUES (1, 'fine')");
            await().until(() -> listeners.single.size() == 1 && listeners.batches.size() == 1);

            TestObservationRegistryAssert.assertThat(app.getBean(TestObservationRegistry.class))
                    .doesNotHaveAnyObservation();
        }
    }

    private static ConfigurableApplicationContext run(TestDatabase db, boolean observed) {
        return new SpringApplicationBuilder(ObservedApplication.class).web(WebApplicationType.NONE).run(
                "--spring.datasource.url=" + db.jdbcUrl(), "--spring.datasource.username=" + db.user(),
                "--spring.datasource.password=" + db.password(), "--pgflash.error.max-attempts=1",
                "--pgflash.observation.enabled=" + observed);
    }

    @SpringBootApplication
    static class ObservedApplication {

        @Bean
        TestObservationRegistry observationRegistry() {
            return TestObservationRegistry.create();
        }

        @Bean
        ObservedListeners observedListeners() {
            return new ObservedListeners();
        }
    }

    static class ObservedListeners {
        final List<ChangeEvent> single = new CopyOnWriteArrayList<>();
        final List<List<ChangeEvent>> batches = new CopyOnWriteArrayList<>();

        @PgChangeListener(value = "posts", id = "inserts", ops = Operation.INSERT)
        void onInsert(ChangeEvent event) {
            single.add(event);
            if ("fails".equals(event.newRow().get("title"))) {
                throw new IllegalStateException("refused: fails");
            }
        }

        @PgChangeListener(value = "posts", id = "batches", ops = Operation.INSERT)
        void onBatch(List<ChangeEvent> events) {
            batches.add(events);
        }
    }
}
