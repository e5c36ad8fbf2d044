package io.pgflash.spring.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import org.junit.jupiter.api.Test;

/** What the meters count, fed by the observer calls a driver makes (no database needed). */
class PgFlashMetricsTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private PgFlashMetrics metrics(ChangeDriver driver) {
        PgFlashMetrics metrics = new PgFlashMetrics(driver);
        metrics.bindTo(meters);
        return metrics;
    }

    @Test
    void reconnectsCountOutagesWhileAttemptsCountEveryFailedTry() {
        PgFlashMetrics metrics = metrics(NotifyDriver.builder().build());
        // an outage of three failed attempts, then one of one
        metrics.reconnecting();
        metrics.reconnecting();
        metrics.reconnecting();
        metrics.reconnected(3);
        metrics.reconnecting();
        metrics.reconnected(1);

        assertThat(meters.get("pgflash.reconnects").counter().count()).isEqualTo(2);
        assertThat(meters.get("pgflash.reconnect.attempts").counter().count()).isEqualTo(4);
    }

    @Test
    void theGroupRoleGaugeIsOneForTheRoleTheInstanceHolds() {
        metrics(WalDriver.builder().build()); // not started: it cannot tell

        assertThat(meters.get("pgflash.group.role").tag("role", "unknown").gauge().value()).isEqualTo(1);
        assertThat(meters.get("pgflash.group.role").tag("role", "active").gauge().value()).isZero();
        assertThat(meters.get("pgflash.group.role").tag("role", "standby").gauge().value()).isZero();
    }

    @Test
    void aDriverWithoutConsumerGroupsHasNoRoleGauge() {
        metrics(NotifyDriver.builder().build());

        assertThat(meters.find("pgflash.group.role").gauges()).isEmpty();
    }
}
