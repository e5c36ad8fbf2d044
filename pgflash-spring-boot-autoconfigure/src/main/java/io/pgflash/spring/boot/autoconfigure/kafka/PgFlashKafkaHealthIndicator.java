package io.pgflash.spring.boot.autoconfigure.kafka;

import io.pgflash.kafka.BridgeStatus;
import io.pgflash.kafka.KafkaBridge;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code pgflashKafka}: down while the bridge's records wait for the broker longer than the acknowledgement timeout
 * or a batch failed and is being sent again, with the reason; the stream is not confirmed past them meanwhile.
 */
public class PgFlashKafkaHealthIndicator implements HealthIndicator {

    private final KafkaBridge bridge;

    public PgFlashKafkaHealthIndicator(KafkaBridge bridge) {
        this.bridge = bridge;
    }

    @Override
    public Health health() {
        BridgeStatus status = bridge.status();
        Health.Builder health = status.up() ? Health.up() : Health.down().withDetail("reason", status.reason());
        return health.withDetail("pendingRecords", status.pendingRecords())
                .withDetail("longestWait", status.longestWait().toString()).build();
    }
}
