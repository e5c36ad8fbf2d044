package io.pgflash.spring.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.test.TestDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

class DurableStarterTest extends StarterIntegrationTest {

    static TestDatabase db;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        db = newDatabase(properties);
        properties.add("pgflash.driver", () -> "trigger");
        properties.add("pgflash.trigger.mode", () -> "durable");
        properties.add("pgflash.group", () -> "blog");
    }

    @Override
    TestDatabase db() {
        return db;
    }

    @Override
    String driverName() {
        return "durable";
    }

    @Override
    String driverHealthDetail() {
        return "backlog";
    }

    @Override
    String driverGauge() {
        return "pgflash_durable_backlog";
    }

    @Test
    void changesWhileTheRegistryIsStoppedArriveAfterItStartsAgain() {
        registry.stop();
        db.execute("INSERT INTO posts VALUES (400, 'While stopped', 'published', 3)");
        registry.start();

        await().until(() -> received.published.stream().anyMatch(p -> p.id() == 400L));
        assertThat(registry.isRunning("comment-batches")).isTrue();
    }
}
