package io.pgflash.spring.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.test.TestDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

class WalStarterTest extends StarterIntegrationTest {

    static TestDatabase db;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        db = newDatabase(properties);
        properties.add("pgflash.driver", () -> "wal");
        properties.add("pgflash.group", () -> db.name() + "_starter");
        // the quick start's application.yml as it is (old rows included); no slot left behind
        properties.add("pgflash.remove-objects-on-shutdown", () -> "true");
    }

    @Override
    TestDatabase db() {
        return db;
    }

    @Override
    String driverHealthDetail() {
        return "slot";
    }

    @Override
    String driverGauge() {
        return "pgflash_slot_lag_bytes";
    }

    @Override
    String driverName() {
        return "wal";
    }

    @Test
    void changesWhileTheRegistryIsStoppedArriveAfterItStartsAgain() {
        registry.stop();
        db.execute("INSERT INTO posts VALUES (300, 'While stopped', 'published', 3)");
        registry.start();

        await().until(() -> received.published.stream().anyMatch(p -> p.id() == 300L));
    }

    @Test
    void healthShowsTheSlot() throws Exception {
        var slot = json(get("/actuator/health")).at("/components/pgflash/details/slot");
        assertThat(slot.at("/name").asString()).isEqualTo("pgflash_" + db.name() + "_starter");
        assertThat(slot.at("/active").asBoolean()).isTrue();
        assertThat(slot.at("/lagBytes").isNumber()).isTrue();
    }
}
