package io.pgflash.spring.health;

import io.pgflash.core.PgFlash;
import io.pgflash.core.SnapshotProgress;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.Measurement;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * pgflash's health: UP while the driver streams or stands by; the instance's role in its consumer group, each
 * listener's state, the age of the last event, and what the driver reports about itself (its measurements, such as
 * the NOTIFY queue's fill or a slot's lag, and details such as the slot) in the details. A measurement at or past its
 * threshold turns the status to the configured one (DOWN by default), with the reason.
 */
public class PgFlashHealthIndicator extends AbstractHealthIndicator {

    private final PgFlash flash;
    private final ListenerEndpointRegistry registry;
    private final LastEventTracker lastEvent;
    private final Thresholds thresholds;

    /**
     * @param limits the threshold of each measurement that has one, by the threshold's name ({@code notify-queue-usage},
     *        {@code slot-lag}, or a driver's own)
     * @param status the status past a threshold
     */
    public record Thresholds(Map<String, Double> limits, Status status) {
        public Thresholds {
            limits = Map.copyOf(limits);
        }
    }

    public PgFlashHealthIndicator(PgFlash flash, ListenerEndpointRegistry registry, LastEventTracker lastEvent,
            Thresholds thresholds) {
        super("pgflash health check failed");
        this.flash = flash;
        this.registry = registry;
        this.lastEvent = lastEvent;
        this.thresholds = thresholds;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        ChangeDriver driver = flash.driver();
        DriverState state = driver.state();
        builder.status(switch (state) {
            case STREAMING, STANDBY -> Status.UP; // a standby is healthy: it takes over when needed
            case STARTING -> Status.UNKNOWN;
            case RECONNECTING -> Status.DOWN;
            case STOPPED -> Status.OUT_OF_SERVICE;
        });
        builder.withDetail("driver", driver.name());
        builder.withDetail("state", name(state));
        // one instance of a consumer group reads; the others stand by; while cut off, it cannot tell
        driver.groupRole().filter(role -> state != DriverState.STOPPED)
                .ifPresent(role -> builder.withDetail("role", name(role)));
        if (state == DriverState.RECONNECTING) {
            builder.withDetail("reason", "the " + driver.name() + " driver lost its connection and is reconnecting");
        }
        Map<String, String> listeners = new LinkedHashMap<>();
        for (String id : registry.listenerIds()) {
            listeners.put(id, registry.isRunning(id) ? "running" : "stopped");
        }
        builder.withDetail("listeners", listeners);
        List<Map<String, Object>> snapshots = flash.snapshots().stream().map(PgFlashHealthIndicator::snapshot)
                .toList();
        if (!snapshots.isEmpty()) {
            builder.withDetail("snapshots", snapshots);
        }
        Instant last = lastEvent == null ? null : lastEvent.lastEventAt();
        if (last != null) {
            builder.withDetail("lastEventAge", Duration.between(last, Instant.now()).toMillis() + "ms");
        }
        if (state != DriverState.STOPPED) {
            builder.withDetails(driver.healthDetails());
            driver.measurements().forEach(measurement -> check(measurement, builder));
        }
    }

    /** Shows the measurement, and gives the threshold status with the reason when it is at or past its threshold. */
    private void check(Measurement measurement, Health.Builder builder) {
        Double limit = measurement.threshold() == null ? null : thresholds.limits().get(measurement.threshold());
        if (measurement.healthDetail() == null && limit == null) {
            return;
        }
        Number value = measurement.read();
        if (measurement.healthDetail() != null) {
            builder.withDetail(measurement.healthDetail(), value);
        }
        if (limit != null && value.doubleValue() >= limit) {
            builder.status(thresholds.status()).withDetail("reason", measurement.pastThreshold() == null
                    ? "pgflash." + measurement.name() + " is " + value + " (threshold " + limit + ")"
                    : measurement.pastThreshold().reason(value.doubleValue(), limit));
        }
    }

    private static String name(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** A snapshot's progress as a health detail: listener, table, state, rows read and delivered, estimate, percent. */
    private static Map<String, Object> snapshot(SnapshotProgress progress) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("listener", progress.subscriptionId());
        detail.put("table", progress.table().toString());
        detail.put("state", progress.running() ? "running" : progress.failure() == null ? "completed" : "failed");
        detail.put("rowsRead", progress.rowsRead());
        detail.put("rowsDelivered", progress.rowsDelivered());
        detail.put("estimatedRows", progress.estimatedRows());
        detail.put("percent", progress.percent());
        if (progress.failure() != null) {
            detail.put("failure", progress.failure());
        }
        return detail;
    }
}
