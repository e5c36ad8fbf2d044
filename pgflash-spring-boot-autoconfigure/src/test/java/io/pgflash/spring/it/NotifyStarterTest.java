package io.pgflash.spring.it;

import io.pgflash.test.TestDatabase;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

class NotifyStarterTest extends StarterIntegrationTest {

    static TestDatabase db;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        db = newDatabase(properties);
        properties.add("pgflash.driver", () -> "trigger");
    }

    @Override
    TestDatabase db() {
        return db;
    }

    @Override
    String driverHealthDetail() {
        return "notifyQueueUsage";
    }

    @Override
    String driverGauge() {
        return "pgflash_notify_queue_usage";
    }

    @Override
    String driverName() {
        return "notify";
    }
}
